"""The import wizard: choose a file, see how its columns map and change that, read the dry
run's verdict on every row, confirm, and watch the job run. Every step calls the JSON API's
import route functions (``api.routes.imports``): the console keeps no file and no rule of its
own. The file stays in the wizard's form, so a changed mapping re-runs the dry run on it."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import orjson
from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.datastructures import UploadFile as FormFile

from api.console.render import REFUSED, page, refusal, templates
from api.console.session import Csrf, SessionDep, csrf_token
from api.deps import BackendDep
from api.routes import imports as import_routes
from domain.access import Action, Principal
from domain.errors import InvalidCommand
from domain.import_mapping import FIELDS
from domain.import_plan import DuplicatePolicy

router = APIRouter(prefix="/ui/imports", include_in_schema=False)

ROWS_SHOWN = 200
"""Rows of the dry-run report on the page (the rest: the API's paging, or rejected.csv)."""
POLL = "500ms"
WORKING = frozenset({"planning", "confirmed", "running"})
"""States in which the job panel keeps polling."""
FIELD_CHOICES = sorted(FIELDS)


def refused_role(request: Request, principal: Principal) -> Response | None:
    """The import routes need ``create``; the console says so instead of offering the wizard."""
    if principal.may(Action.CREATE):
        return None
    return page(request, "message.html", principal, status=403, error=f"role {principal.role} may not import leads")


def overrides_of(form: FormData) -> dict[str, str]:
    """The mapping step's choices: pairs of ``map_header`` / ``map_field``, in column order."""
    headers = [h for h in form.getlist("map_header") if isinstance(h, str)]
    fields = [f for f in form.getlist("map_field") if isinstance(f, str)]
    return dict(zip(headers, fields, strict=False))


def panel_context(backend: Any, principal: Principal, import_id: UUID, outcome: str | None) -> dict[str, Any]:
    job = import_routes.job(import_id, backend, principal, limit=ROWS_SHOWN, outcome=outcome)
    choices = FIELD_CHOICES + sorted({f for f in job.mapping.values() if f.startswith("custom.")})
    return {
        "job": job,
        "working": job.state in WORKING,
        "poll": POLL,
        "choices": choices,
        "outcome": outcome,
        "done_pct": round(100 * (job.done or 0) / job.total) if job.total else 0,
    }


@router.get("/new", response_class=HTMLResponse)
def new_import(request: Request, principal: SessionDep) -> Response:
    return refused_role(request, principal) or page(
        request, "import_wizard.html", principal, policies=[p.value for p in DuplicatePolicy], active="import"
    )


@router.post("/dry-run", response_class=HTMLResponse, dependencies=[Csrf])
async def dry_run(request: Request, backend: BackendDep, principal: SessionDep) -> Response:
    """Upload the wizard's file with its mapping: the API's upload starts a dry run; answer with
    the job's panel (htmx swaps it in under the form and polls it until the verdicts are in)."""
    if (refused := refused_role(request, principal)) is not None:
        return refused
    form = await request.form()
    file = form.get("file")
    policy = form.get("policy")
    try:
        if not isinstance(file, FormFile) or not file.filename:
            raise InvalidCommand("choose a CSV or XLSX file", field="file")
        upload = UploadFile(file.file, size=file.size, filename=file.filename, headers=file.headers)
        mapping = overrides_of(form)
        job = await import_routes.upload(
            backend,
            principal,
            file=upload,
            policy=DuplicatePolicy(policy if isinstance(policy, str) and policy else "skip"),
            mapping=orjson.dumps(mapping).decode() if mapping else None,
            saved_mapping=None,
        )
        if not request.headers.get("HX-Request"):
            return RedirectResponse(f"/ui/imports/{job.import_id}", 303)
        context = await run_in_threadpool(panel_context, backend, principal, job.import_id, None)
    except (*REFUSED, ValueError) as e:
        status, error = refusal(e) if isinstance(e, REFUSED) else (422, f"policy: {e}")
        return fragment(request, {"error": error}, status)
    return fragment(request, context)


def fragment(request: Request, context: dict[str, Any], status: int = 200) -> Response:
    return templates.TemplateResponse(
        request, "import_panel.html", context | {"csrf": csrf_token(request)}, status_code=status
    )


@router.get("/{import_id:uuid}/panel", response_class=HTMLResponse)
def panel(
    request: Request, import_id: UUID, backend: BackendDep, principal: SessionDep, outcome: str | None = None
) -> Response:
    """The job as it is now: what htmx polls while the dry run or the confirm works."""
    if (refused := refused_role(request, principal)) is not None:
        return refused
    try:
        return fragment(request, panel_context(backend, principal, import_id, outcome or None))
    except REFUSED as e:
        status, error = refusal(e)
        return fragment(request, {"error": error}, status)


@router.get("/{import_id:uuid}", response_class=HTMLResponse)
def job_page(
    request: Request, import_id: UUID, backend: BackendDep, principal: SessionDep, outcome: str | None = None
) -> Response:
    if (refused := refused_role(request, principal)) is not None:
        return refused
    try:
        context = panel_context(backend, principal, import_id, outcome or None)
    except REFUSED as e:
        status, error = refusal(e)
        return page(request, "message.html", principal, status=status, error=error, back="/ui/imports/new")
    return page(request, "import_job.html", principal, active="import", **context)


@router.post("/{import_id:uuid}/confirm", dependencies=[Csrf])
def confirm(request: Request, import_id: UUID, backend: BackendDep, principal: SessionDep) -> Response:
    """Carry out what the dry run showed (the API's confirm), then watch it on the job's page."""
    if (refused := refused_role(request, principal)) is not None:
        return refused
    try:
        import_routes.confirm(import_id, backend, principal)
    except REFUSED as e:
        status, error = refusal(e)
        return page(request, "message.html", principal, status=status, error=error, back=f"/ui/imports/{import_id}")
    return RedirectResponse(f"/ui/imports/{import_id}", 303)


@router.get("/{import_id:uuid}/rejected.csv")
def rejected(request: Request, import_id: UUID, backend: BackendDep, principal: SessionDep) -> Response:
    """The rejected rows with their reasons, as the API serves them, to fix and import again."""
    if (refused := refused_role(request, principal)) is not None:
        return refused
    try:
        return import_routes.rejected(import_id, backend, principal)
    except REFUSED as e:
        status, error = refusal(e)
        return page(request, "message.html", principal, status=status, error=error, back=f"/ui/imports/{import_id}")
