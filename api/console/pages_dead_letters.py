"""The operator page's dead letters: the intake's dead-letter queue as ``GET /dead-letters``
lists it, and its two actions (replay once, optionally with a corrected payload; discard with a
reason), each the JSON API's route function with the signed-in admin as actor."""

from __future__ import annotations

from typing import Any, Literal

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api.console.commanding import command_context
from api.console.render import REFUSED, page, refusal
from api.console.session import Csrf, SessionDep
from api.deps import BackendDep
from api.routes import dead_letters as dlq_routes
from domain.access import Action, Principal
from domain.errors import InvalidCommand

router = APIRouter(prefix="/ui/dead-letters", include_in_schema=False)
Status = Literal["open", "replayed", "discarded"]
STATUSES: tuple[Status, ...] = ("open", "replayed", "discarded")


def dead_letters(backend: Any, principal: Principal, status: str | None) -> dict[str, Any]:
    """What the operator page shows of the DLQ: only to those who may administer (the API's
    rule); in embedded mode there is none, and the page says so."""
    if not principal.may(Action.ADMINISTER):
        return {}
    wanted = next((s for s in STATUSES if s == status), None)
    try:
        records = dlq_routes.list_dead_letters(
            backend, status=wanted, stage=None, type=None, source=None, since=None, reason_contains=None
        )
    except REFUSED as e:
        return {"dlq_error": refusal(e)[1], "dlq_status": wanted}
    return {"dlq": records, "dlq_status": wanted, "dlq_statuses": STATUSES}


def field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def replay_body(form: FormData) -> dlq_routes.ReplayBody:
    payload = field(form, "payload")
    fields: dict[str, Any] = {"reason": field(form, "reason") or "cause fixed"}
    if payload:
        try:
            fields["payload"] = orjson.loads(payload)
        except orjson.JSONDecodeError as e:
            raise InvalidCommand(f"the corrected payload is not JSON: {e}", field="payload") from None
    return dlq_routes.ReplayBody.model_validate(fields)


@router.post("/{record}/{action}", dependencies=[Csrf])
async def act(
    request: Request, record: dlq_routes.RecordPath, action: str, backend: BackendDep, principal: SessionDep
) -> Response:
    """Replay or discard one record, then back to the operator page."""
    if not principal.may(Action.ADMINISTER):
        return page(request, "message.html", principal, status=403, error=f"role {principal.role} may not work the DLQ")
    if action not in ("replay", "discard"):
        return page(request, "message.html", principal, status=404, error=f"no action {action!r}", back="/ui/operator")
    form = await request.form()
    meta = command_context(request, principal, command_key="", version=None).meta

    def run() -> None:
        if action == "replay":
            dlq_routes.replay_dead_letter(record, replay_body(form), backend, meta)
        else:
            body = dlq_routes.DiscardBody.model_validate({"reason": field(form, "reason")})
            dlq_routes.discard_dead_letter(record, body, backend, meta)

    try:
        await run_in_threadpool(run)
    except REFUSED as e:
        status, error = refusal(e)
        return page(request, "message.html", principal, status=status, error=error, back="/ui/operator#dlq-h")
    return RedirectResponse("/ui/operator#dlq-h", 303)
