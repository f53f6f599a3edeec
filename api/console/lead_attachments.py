"""A lead's attachments on its page: upload a file and download one. Both run the JSON API's
route functions (``api.routes.attachments``), so the console stores nothing itself, the size
limit and the lead's attachment count are the API's, and a download carries the same safe
headers (``attachment`` disposition, ``nosniff``, an inert content type)."""

from __future__ import annotations

from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as FormFile

from api.body_limits import PayloadTooLarge
from api.console.commanding import command_context
from api.console.lead_forms import expected_version, refused_page, text
from api.console.render import REFUSED, page, refusal
from api.console.session import Csrf, SessionDep
from api.deps import BackendDep
from api.routes import attachments as attachment_routes
from domain.errors import InvalidCommand

router = APIRouter(prefix="/ui/leads", include_in_schema=False)


@router.post("/{lead_id:uuid}/attachments", dependencies=[Csrf])
async def upload(request: Request, lead_id: UUID, backend: BackendDep, principal: SessionDep) -> Response:
    """The page's upload form (multipart): the API's upload stores the file and attaches it;
    a refusal (no file, too large, a role that may not edit) re-renders the page saying why."""
    form = await request.form()
    cmd = command_context(
        request, principal, command_key=text(form, "command_key") or "", version=expected_version(form)
    )
    file = form.get("file")
    try:
        if not isinstance(file, FormFile) or not file.filename:
            raise InvalidCommand("choose a file to attach", field="file")
        chosen = UploadFile(file.file, size=file.size, filename=file.filename, headers=file.headers)
        done = await attachment_routes.upload(lead_id, chosen, cmd, backend.blobs)
    except (*REFUSED, PayloadTooLarge) as e:
        error: Exception = InvalidCommand(str(e.detail), field="file") if isinstance(e, PayloadTooLarge) else e
        response = await run_in_threadpool(refused_page, request, principal, lead_id, "attach", form, error)
        if isinstance(e, PayloadTooLarge):
            response.status_code = 413
        return response
    ctx, at = text(form, "ctx") or "", text(form, "at") or ""
    query = {"after": str(done.position or 0)} | ({"ctx": ctx} if ctx else {}) | ({"at": at} if at else {})
    return RedirectResponse(f"/ui/leads/{lead_id}?{urlencode(query)}", 303)


@router.get("/{lead_id:uuid}/attachments/{attachment_id:uuid}")
def download(
    request: Request, lead_id: UUID, attachment_id: UUID, backend: BackendDep, principal: SessionDep
) -> Response:
    """The file, exactly as ``GET /leads/{id}/attachments/{attachment_id}`` serves it."""
    try:
        return attachment_routes.download(lead_id, attachment_id, backend, principal, backend.blobs)
    except REFUSED as e:
        status, error = refusal(e)
        return page(request, "message.html", principal, status=status, error=error, back=f"/ui/leads/{lead_id}")
