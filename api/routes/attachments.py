"""Upload and download lead attachments: content stored once by hash, size limits enforced.

Downloads are served so that no file can act as a page of this site: ``nosniff``, an
``attachment`` disposition with the name encoded per RFC 6266 (nothing in a file name can
reach the headers), and a content type from a short list of inert ones, else octet-stream.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import quote
from uuid import UUID, uuid4

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import Response

from api.auth import Action as A
from api.auth import permission
from api.body_limits import PayloadTooLarge
from api.deps import BackendDep, BlobsDep, CommandDep, PrincipalDep
from api.models import CommandAccepted
from api.routes.commands import accepted, now
from domain import limits
from domain.errors import NotFound
from domain.records import Attachment, new_attachment_name

router = APIRouter(prefix="/leads/{lead_id:uuid}/attachments", tags=["lead commands"])
CHUNK = 1024 * 1024
SAFE_TYPES = frozenset(
    {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp", "text/plain", "text/csv"}
)
"""Content types served as they were uploaded; anything else is served as octet-stream."""
MEDIA_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+$")


@router.post("", response_model=CommandAccepted, **permission(A.EDIT))
async def upload(
    lead_id: UUID,
    file: Annotated[UploadFile, File(description="The file; stored once by its SHA-256")],
    cmd: CommandDep,
    blobs: BlobsDep,
) -> CommandAccepted:
    lead = cmd.service.get_lead(lead_id)
    cmd.principal.require_lead(A.EDIT, lead)
    lead.check_can_attach()  # before the content is stored
    limit = limits.current().attachment_bytes
    content = bytearray()
    while chunk := await file.read(CHUNK):
        content += chunk
        if len(content) > limit:
            raise PayloadTooLarge("an attached file", limit)
    declared = (file.content_type or "").split(";")[0].strip().lower()
    media_type = declared if MEDIA_TYPE.match(declared) and len(declared) <= 127 else "application/octet-stream"
    attachment = Attachment(
        attachment_id=uuid4(),
        name=new_attachment_name(file.filename),
        media_type=media_type,
        size=len(content),
        content_hash=blobs.put(bytes(content), media_type=media_type, lead_id=lead_id),
        added_by=cmd.principal.user,
        added_at=now(),
    )
    return accepted(
        cmd.service.add_attachment(
            lead_id=lead_id, attachment=attachment, meta=cmd.meta, expected_version=cmd.expected_version
        )
    )


@router.get(
    "/{attachment_id}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "The file"}},
    **permission(A.VIEW),
)
def download(
    lead_id: UUID, attachment_id: UUID, backend: BackendDep, principal: PrincipalDep, blobs: BlobsDep
) -> Response:
    lead = backend.service.get_lead(lead_id)
    principal.require_lead(A.VIEW, lead)
    found = next((a for a in lead.attachments if a.attachment_id == attachment_id), None)
    blob = blobs.get(found.content_hash) if found else None
    if found is None or blob is None:
        raise NotFound("attachment", attachment_id)
    media_type = blob[0] if blob[0] in SAFE_TYPES else "application/octet-stream"
    return Response(
        blob[1],
        media_type=media_type,
        headers={"Content-Disposition": content_disposition(found.name), "X-Content-Type-Options": "nosniff"},
    )


def content_disposition(name: str) -> str:
    """RFC 6266: an ASCII fallback name (quotes, backslashes and controls replaced) and the
    real name percent-encoded as UTF-8 in ``filename*``."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in name) or "file"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
