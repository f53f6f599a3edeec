"""The forms of a lead's page, each one JSON API command: the form's fields become that
command's request body, its hidden version becomes ``If-Match``, and the route function of
``api.routes.commands`` runs it. A refused command re-renders the page with the reason and the
values the user typed (a version conflict shows theirs beside the current ones, never drops them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api import command_models as bodies
from api.console import lead_workflows
from api.console.commanding import command_context
from api.console.pages_lead import EDITABLE, caught_up, lead_context
from api.console.render import REFUSED, page, refusal
from api.console.session import Csrf, SessionDep
from api.deps import MAX_VERSION, CommandContext, get_backend
from api.models import CommandAccepted
from api.routes import commands
from domain.access import Principal
from domain.errors import VersionConflict

router = APIRouter(prefix="/ui/leads", include_in_schema=False)

Run = Callable[[UUID, FormData, CommandContext], CommandAccepted]


def text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value.strip() or None if isinstance(value, str) else None


def details(lead_id: UUID, form: FormData, cmd: CommandContext) -> CommandAccepted:
    """Only the fields the user changed (against the values the form showed): a field they did
    not touch never overwrites someone else's change to it."""
    changes = {
        name: text(form, name) for name in EDITABLE if name in form and text(form, name) != text(form, f"orig_{name}")
    }
    return commands.update_details(lead_id, bodies.LeadUpdate.model_validate({"changes": changes}), cmd)


def activity(lead_id: UUID, form: FormData, cmd: CommandContext) -> CommandAccepted:
    fields = {k: text(form, k) for k in ("kind", "subject", "outcome", "next_step")}
    return commands.log_activity(lead_id, bodies.ActivityBody.model_validate(fields), cmd)


def contact(lead_id: UUID, form: FormData, cmd: CommandContext) -> CommandAccepted:
    return commands.contact(lead_id, bodies.ContactBody.model_validate({"via": text(form, "via")}), cmd)


def note(lead_id: UUID, form: FormData, cmd: CommandContext) -> CommandAccepted:
    return commands.add_note(lead_id, bodies.NoteBody.model_validate({"text": text(form, "text")}), cmd)


def bant(lead_id: UUID, form: FormData, cmd: CommandContext) -> CommandAccepted:
    changes = {k: text(form, k) for k in ("budget", "authority", "need", "timeline") if text(form, k)}
    return commands.update_bant(lead_id, bodies.BantBody.model_validate({"changes": changes}), cmd)


def qualify(lead_id: UUID, form: FormData, cmd: CommandContext) -> CommandAccepted:
    return commands.qualify(lead_id, cmd)


def convert(lead_id: UUID, form: FormData, cmd: CommandContext) -> CommandAccepted:
    probability = text(form, "probability") or ""
    fields: dict[str, Any] = {k: text(form, k) for k in ("opportunity_name", "deal_value", "expected_close")}
    fields["probability"] = int(probability) if probability.isdigit() and len(probability) < 4 else probability
    fields |= lead_workflows.conversion_choices(form)
    return commands.convert(lead_id, bodies.ConvertBody.model_validate(fields), cmd)


def assign(lead_id: UUID, form: FormData, cmd: CommandContext) -> CommandAccepted:
    return commands.assign(lead_id, bodies.AssignBody.model_validate({"owner": text(form, "owner")}), cmd)


def follow(lead_id: UUID, form: FormData, cmd: CommandContext) -> CommandAccepted:
    return commands.follow(lead_id, bodies.FollowBody.model_validate({"user": text(form, "user")}), cmd)


def unfollow(lead_id: UUID, form: FormData, cmd: CommandContext) -> CommandAccepted:
    return commands.unfollow(lead_id, text(form, "user") or "", cmd)


FORMS: dict[str, Run] = {
    "details": details,
    "activity": activity,
    "contact": contact,
    "note": note,
    "bant": bant,
    "qualify": qualify,
    "convert": convert,
    "assign": assign,
    "follow": follow,
    "unfollow": unfollow,
    **lead_workflows.FORMS,
}


def expected_version(form: FormData) -> int | None:
    value = text(form, "version") or ""
    return int(value) if value.isdigit() and 0 < int(value[:10]) <= MAX_VERSION else None


@router.post("/{lead_id:uuid}/{form_name}", dependencies=[Csrf])
async def submit(request: Request, lead_id: UUID, form_name: str, principal: SessionDep) -> Response:
    run = FORMS.get(form_name)
    if run is None:
        return page(request, "message.html", principal, status=404, error=f"no form {form_name!r}", back="/ui/leads")
    form = await request.form()
    ctx, at = text(form, "ctx") or "", text(form, "at") or ""
    cmd = command_context(
        request, principal, command_key=text(form, "command_key") or "", version=expected_version(form)
    )
    try:
        done = await run_in_threadpool(run, lead_id, form, cmd)
    except REFUSED as e:
        if isinstance(e, VersionConflict):
            # the other writer's change is in the log; show it beside what was typed, not a
            # read model that has not caught up with it yet (bounded wait, as after a command)
            backend = get_backend(request)
            await caught_up(backend, await run_in_threadpool(backend.event_log.head))
        return await run_in_threadpool(refused_page, request, principal, lead_id, form_name, form, e)
    query = {"after": str(done.position or 0)} | ({"ctx": ctx} if ctx else {}) | ({"at": at} if at else {})
    return RedirectResponse(f"/ui/leads/{lead_id}?{urlencode(query)}", 303)


def refused_page(
    request: Request, principal: Principal, lead_id: UUID, form_name: str, form: FormData, error: Exception
) -> Response:
    status, message = refusal(error)
    backend = get_backend(request)
    try:
        context = lead_context(backend, principal, lead_id, ctx=text(form, "ctx") or "", at=text(form, "at") or "")
    except REFUSED as e:
        status, message = refusal(e)
        return page(request, "message.html", principal, status=status, error=message, back="/ui/leads")
    typed = {k: v for k, v in form.items() if isinstance(v, str) and k not in ("csrf", "command_key")}
    return page(
        request,
        "lead.html",
        principal,
        status=status,
        error=message,
        failed_form=form_name,
        typed=typed,
        conflict=isinstance(error, VersionConflict),
        **context,
    )
