"""Mass actions from the leads list beyond transfer: disqualify, follow, add tags, on the leads
ticked or on every lead the list's filters match (all pages, collected through the list route
so the caller's scope and views apply). Each runs as the API's bulk job
(``POST /leads/bulk``); its page polls the job and lists every lead's result."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.console.commanding import command_context
from api.console.pages_list import matching
from api.console.render import REFUSED, page, refusal, templates
from api.console.session import Csrf, SessionDep, csrf_token
from api.deps import BackendDep
from api.routes import bulk as bulk_routes
from domain.access import Action, Principal
from domain.errors import InvalidCommand

router = APIRouter(prefix="/ui", include_in_schema=False)
POLL = "500ms"


def request_of(action: str, tags: str, reason: str) -> dict[str, Any]:
    """The console's three actions as the bulk API's request."""
    if action == "disqualify":
        return {"action": "status", "status": "unqualified", "reason": reason or None}
    if action == "add_tags":
        return {"action": "add_tags", "tags": [t.strip() for t in tags.split(",") if t.strip()]}
    if action == "follow":
        return {"action": "follow"}
    raise InvalidCommand(f"unknown action {action!r}: disqualify, follow or add_tags", field="action")


@router.post("/leads/bulk", dependencies=[Csrf])
def start(
    request: Request,
    backend: BackendDep,
    principal: SessionDep,
    action: Annotated[str, Form(max_length=40)],
    which: Annotated[str, Form(pattern="^(selected|all|matching)$")] = "selected",
    query: Annotated[str, Form(max_length=4000)] = "",
    lead_ids: Annotated[list[UUID] | None, Form()] = None,
    tags: Annotated[str, Form(max_length=2000)] = "",
    reason: Annotated[str, Form(max_length=100)] = "",
    command_key: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    try:
        principal.require(Action.EDIT)
        if which == "all":
            raise InvalidCommand(
                "every open lead of an owner is for transfers; tick leads or take every match", field="which"
            )
        ids = list(lead_ids or []) if which == "selected" else matching(backend, principal, query)
        if not ids:
            raise InvalidCommand("no leads chosen: tick some, or take every lead matching the list", field="lead_ids")
        body = bulk_routes.BulkBody.model_validate({"lead_ids": ids, **request_of(action, tags, reason)})
        meta = command_context(request, principal, command_key=command_key, version=None).meta
        job = bulk_routes.start(body, backend, principal, meta)
    except (*REFUSED, ValidationError) as e:
        status, error = refusal(e)
        return page(request, "message.html", principal, status=status, error=error, back="/ui/leads?" + query)
    return RedirectResponse(f"/ui/bulk/{job.job_id}", 303)


def job_context(backend: Any, principal: Principal, job_id: UUID) -> dict[str, Any]:
    job = bulk_routes.job(job_id, backend, principal, after=0, limit=1000)
    return {"job": job, "working": job.state == "running", "poll": POLL}


@router.get("/bulk/{job_id:uuid}", response_class=HTMLResponse)
def job_page(request: Request, job_id: UUID, backend: BackendDep, principal: SessionDep) -> Response:
    try:
        context = job_context(backend, principal, job_id)
    except REFUSED as e:
        status, error = refusal(e)
        return page(request, "message.html", principal, status=status, error=error, back="/ui/leads")
    return page(request, "bulk_job.html", principal, active="leads", **context)


@router.get("/bulk/{job_id:uuid}/panel", response_class=HTMLResponse)
def panel(request: Request, job_id: UUID, backend: BackendDep, principal: SessionDep) -> Response:
    """What htmx polls while the job runs."""
    try:
        context = job_context(backend, principal, job_id)
    except REFUSED as e:
        status, error = refusal(e)
        context, code = {"error": error}, status
    else:
        code = 200
    return templates.TemplateResponse(
        request, "bulk_panel.html", context | {"csrf": csrf_token(request)}, status_code=code
    )
