"""The lead page's work beyond its details: tasks (schedule, complete), duplicates (not a
duplicate, merge with a choice per field, merge into a known contact) and conversion onto the
suggested account and contact. Each form runs the JSON API's route function for it; the merge
screen lays the two leads side by side and sends the chosen fields as ``take_fields``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api import command_models as bodies
from api.console.render import REFUSED, page, refusal
from api.console.session import SessionDep
from api.deps import Backend, BackendDep, CommandContext
from api.models import CommandAccepted, LeadDetailPublic
from api.routes import commands, customers
from api.routes import leads as lead_routes
from api.routes import tasks as task_routes
from domain.access import Action, Principal
from domain.errors import InvalidCommand

router = APIRouter(prefix="/ui/leads", include_in_schema=False)

Run = Callable[[UUID, FormData, CommandContext], CommandAccepted]
MERGE_FIELDS = (
    "contact_name",
    "email",
    "phone",
    "company",
    "job_title",
    "industry",
    "source",
    "priority",
    "company_size",
    "annual_revenue",
)
"""The details a merge may take from the duplicate (those both leads have)."""


def text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value.strip() or None if isinstance(value, str) else None


def task(lead_id: UUID, form: FormData, cmd: CommandContext) -> CommandAccepted:
    fields = {"subject": text(form, "subject"), "assignee": text(form, "assignee"), "due_at": text(form, "due_at")}
    return task_routes.schedule_task(lead_id, task_routes.TaskBody.model_validate(fields), cmd)


def complete_task(lead_id: UUID, form: FormData, cmd: CommandContext) -> CommandAccepted:
    try:
        task_id = UUID(text(form, "task_id") or "")
    except ValueError:
        raise InvalidCommand("task_id must be a task's id (a UUID)", field="task_id") from None
    return task_routes.complete_task(lead_id, task_id, cmd)


def not_duplicate(lead_id: UUID, form: FormData, cmd: CommandContext) -> CommandAccepted:
    return commands.not_duplicate(lead_id, bodies.NotDuplicateBody.model_validate({"of_id": text(form, "of_id")}), cmd)


def merge(lead_id: UUID, form: FormData, cmd: CommandContext) -> CommandAccepted:
    """``lead_id`` is the master; each field whose radio says "theirs" is taken from the duplicate."""
    duplicate = text(form, "duplicate_id") or ""
    taken = [name for name in MERGE_FIELDS if text(form, f"take_{name}") == "theirs"]
    body = bodies.MergeBody.model_validate({"duplicate_ids": [duplicate], "take_fields": {duplicate: taken}})
    return commands.merge(lead_id, body, cmd)


def merge_into_contact(lead_id: UUID, form: FormData, cmd: CommandContext) -> CommandAccepted:
    body = bodies.MergeIntoContactBody.model_validate({"contact_id": text(form, "contact_id")})
    return commands.merge_into_contact(lead_id, body, cmd)


FORMS: dict[str, Run] = {
    "task": task,
    "complete_task": complete_task,
    "not_duplicate": not_duplicate,
    "merge": merge,
    "merge_into_contact": merge_into_contact,
}


def conversion_choices(form: FormData) -> dict[str, Any]:
    """The convert form's account and contact choice: the suggested record, or a new one."""
    choice: dict[str, Any] = {}
    for kind in ("account", "contact"):
        picked = text(form, f"{kind}_choice")
        if picked == "new":
            choice[f"new_{kind}"] = True
        elif picked:
            choice[f"{kind}_id"] = picked
    return choice


def record_name(backend: Backend, principal: Principal, kind: str, record_id: Any) -> str | None:
    """A name for a lead, contact or account the page links to; None if the caller may not see it."""
    try:
        if kind == "lead":
            found = lead_routes.get_lead(UUID(str(record_id)), backend, principal, Response(), None)
            return found.details.contact_name if isinstance(found, LeadDetailPublic) else None
        getter = customers.get_contact if kind == "contact" else customers.get_account
        record = getter(UUID(str(record_id)), backend, principal)
        return str(record.get("name") or record.get("contact_name") or record.get("email") or record_id)
    except (*REFUSED, ValueError):
        return None


def duplicate_candidates(backend: Backend, principal: Principal, document: LeadDetailPublic) -> list[dict[str, Any]]:
    """The look-alikes of a lead still flagged (not merged), each named if the caller may see it."""
    if not document.duplicate_of or document.merged_into or document.merged_into_contact:
        return []
    found = document.duplicate_candidates or [
        {"record_id": document.duplicate_of, "kind": document.duplicate_of_kind or "lead", "matched_on": []}
    ]
    shown = []
    for c in found:
        kind, matched = str(c.get("kind") or "lead"), c.get("matched_on") or []
        shown.append(
            {
                "record_id": str(c.get("record_id")),
                "kind": kind,
                "matched_on": ", ".join(matched) if isinstance(matched, list) else str(matched),
                "name": record_name(backend, principal, kind, c.get("record_id")),
            }
        )
    return shown


def conversion_suggestion(backend: Backend, principal: Principal, document: LeadDetailPublic) -> dict[str, Any]:
    """The account and contact a conversion would link (``GET /leads/{id}/conversion``), named."""
    if not principal.may(Action.EDIT) or document.status.value != "qualified":
        return {}
    try:
        found = lead_routes.conversion(document.lead_id, backend.service, principal)
    except REFUSED:
        return {}
    account = record_name(backend, principal, "account", found.account_id) if found.account_id else None
    contact = record_name(backend, principal, "contact", found.contact_id) if found.contact_id else None
    return {
        "account_id": found.account_id,
        "account": account,
        "contact_id": found.contact_id,
        "contact": contact,
        "matched_on": ", ".join(found.matched_on),
    }


def workflow_context(
    backend: Backend, principal: Principal, document: LeadDetailPublic, written: Any
) -> dict[str, Any]:
    """Tasks (from the lead itself, the write side: no read model lists a lead's tasks), the
    duplicate banner's candidates and the conversion suggestion, for the lead page."""
    tasks = sorted(getattr(written, "tasks", {}).values(), key=lambda t: t.due_at)
    done: set[UUID] = getattr(written, "tasks_done", set())
    return {
        "tasks": [{"task": t, "done": t.task_id in done} for t in tasks],
        "duplicate_candidates": duplicate_candidates(backend, principal, document),
        "suggestion": conversion_suggestion(backend, principal, document),
    }


@router.get("/{lead_id:uuid}/merge", response_class=HTMLResponse)
async def merge_screen(
    request: Request, lead_id: UUID, backend: BackendDep, principal: SessionDep, duplicate: UUID
) -> Response:
    """The two leads side by side, a choice per differing field; merging keeps this lead."""

    def both() -> tuple[Any, Any]:
        ours = lead_routes.get_lead(lead_id, backend, principal, Response(), None)
        theirs = lead_routes.get_lead(duplicate, backend, principal, Response(), None)
        return ours, theirs

    try:
        ours, theirs = await run_in_threadpool(both)
    except REFUSED as e:
        status, error = refusal(e)
        return page(request, "message.html", principal, status=status, error=error, back=f"/ui/leads/{lead_id}")
    if not principal.may(Action.ARCHIVE):
        return page(request, "message.html", principal, status=403, error=f"role {principal.role} may not merge leads")
    mine, other = ours.details.model_dump(mode="json"), theirs.details.model_dump(mode="json")
    rows = [
        {"name": n, "ours": mine.get(n), "theirs": other.get(n), "same": mine.get(n) == other.get(n)}
        for n in MERGE_FIELDS
        if n in mine and n in other
    ]
    return page(request, "merge.html", principal, lead=ours, duplicate=theirs, rows=rows, active="leads")
