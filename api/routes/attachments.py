"""Upload and download lead attachments: content stored once by hash, size limit enforced."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import Response

from api.auth import Permission as P
from api.deps import BackendDep, BlobsDep, CommandDep, PrincipalDep
from api.errors import PayloadTooLarge
from api.models import CommandAccepted
from api.routes.commands import accepted, now
from domain.errors import NotFound
from domain.lifecycle import LeadCommand
from domain.records import Attachment

router = APIRouter(prefix="/leads/{lead_id}/attachments", tags=["lead commands"])
CHUNK = 1024 * 1024


@router.post("", response_model=CommandAccepted, responses={413: {"description": "File larger than the limit"}})
async def upload(
    lead_id: UUID,
    file: Annotated[UploadFile, File(description="The file; stored once by its SHA-256")],
    cmd: CommandDep,
    blobs: BlobsDep,
    backend: BackendDep,
) -> CommandAccepted:
    lead = cmd.service.get_lead(lead_id)
    cmd.principal.require_lead(P.EDIT, lambda: lead)
    lead.check_allowed(LeadCommand.ADD_ATTACHMENT)  # before the content is stored
    limit = backend.config.max_upload_bytes
    content = bytearray()
    while chunk := await file.read(CHUNK):
        content += chunk
        if len(content) > limit:
            raise PayloadTooLarge(f"attachments are limited to {limit} bytes")
    media_type = file.content_type or "application/octet-stream"
    digest = blobs.put(bytes(content), media_type=media_type, lead_id=lead_id)
    attachment = Attachment(
        attachment_id=uuid4(),
        name=file.filename or "unnamed",
        media_type=media_type,
        size=len(content),
        content_hash=digest,
        added_by=cmd.principal.user,
        added_at=now(),
    )
    return accepted(
        cmd.service.add_attachment(
            lead_id=lead_id, attachment=attachment, meta=cmd.meta, expected_version=cmd.expected_version
        )
    )


@router.get("/{attachment_id}", response_class=Response)
def download(
    lead_id: UUID, attachment_id: UUID, backend: BackendDep, principal: PrincipalDep, blobs: BlobsDep
) -> Response:
    lead = backend.service.get_lead(lead_id)
    principal.require_lead(P.VIEW, lambda: lead)
    found = next((a for a in lead.attachments if a.attachment_id == attachment_id), None)
    blob = blobs.get(found.content_hash) if found else None
    if found is None or blob is None:
        raise NotFound("attachment", attachment_id)
    return Response(
        blob[1], media_type=blob[0], headers={"Content-Disposition": f'attachment; filename="{found.name}"'}
    )
