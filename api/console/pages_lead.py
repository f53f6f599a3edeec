"""A lead's page: status path, details (edited with If-Match), owner and the rule that chose
them, timeline, followers, notes, and the "as of" slider, which shows the lead exactly as
``GET /leads/{id}?as_of=`` answers for that moment (it calls that route)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from api.console.lead_workflows import workflow_context
from api.console.pages_list import run_list
from api.console.render import REFUSED, page, refusal, templates
from api.console.session import SessionDep
from api.deps import Backend, BackendDep, as_utc
from api.models import FeedItem, LeadDetailPublic, LeadState
from api.routes import leads as lead_routes
from domain.access import Action, Principal
from domain.lifecycle import ALLOWED
from domain.picklists import ActivityKind, BantItem, LeadStatus, Priority

router = APIRouter(prefix="/ui/leads", include_in_schema=False)

EDITABLE = ("contact_name", "email", "phone", "company", "job_title", "industry", "priority")
"""The details the page edits inline."""
PATH = (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED, LeadStatus.CONVERTED)
NEEDS = {
    LeadStatus.NEW: "Captured",
    LeadStatus.CONTACTED: "Contact the lead (call, email or meeting)",
    LeadStatus.QUALIFIED: "Record every BANT item: budget, authority, need, timeline",
    LeadStatus.CONVERTED: "An opportunity: name, value, expected close, probability",
}
READ_WAIT_S = 2.0


async def caught_up(backend: Backend, after: int | None) -> bool:
    """Read your own writes: after a command, wait (bounded) for the lead's document and feed."""
    if after is None:
        return True
    ok = [await backend.wait_until_projected(name, after, READ_WAIT_S) for name in ("lead_detail_v1", "feeds_v1")]
    return all(ok)


def neighbours(backend: Backend, principal: Principal, lead_id: UUID, ctx: str, at: str) -> dict[str, str | None]:
    """The leads before and after this one in the list it was opened from (same filters, same
    sort, the page it was on): next and previous without going back to the list."""
    params = {k: v for k, v in parse_qsl(ctx) if v.strip()} | ({"cursor": at} if at else {})
    try:
        result = run_list(backend, principal, params)
    except REFUSED:
        return {"prev": None, "next": None}
    ids = [row.lead_id for row in result.items]
    if lead_id not in ids:
        return {"prev": None, "next": None}
    i = ids.index(lead_id)
    here = urlencode({"ctx": ctx, "at": at})
    prev = f"/ui/leads/{ids[i - 1]}?{here}" if i > 0 else None
    nxt = f"/ui/leads/{ids[i + 1]}?{here}" if i + 1 < len(ids) else None
    if nxt is None and result.next:
        following = run_list(
            backend, principal, {k: v for k, v in params.items() if k != "cursor"} | {"cursor": result.next}
        )
        if following.items:
            nxt = f"/ui/leads/{following.items[0].lead_id}?" + urlencode({"ctx": ctx, "at": result.next})
    return {"prev": prev, "next": nxt}


def lead_context(
    backend: Backend, principal: Principal, lead_id: UUID, *, ctx: str = "", at: str = ""
) -> dict[str, Any]:
    """Everything the page shows, each read through the API's own route function."""
    document = lead_routes.get_lead(lead_id, backend, principal, Response(), None)
    if not isinstance(document, LeadDetailPublic):  # without as_of or version it is the document
        raise TypeError(f"expected the projected document, got {type(document).__name__}")
    written = backend.service.get_lead(lead_id)
    history = (
        lead_routes.history(lead_id, backend.service, principal, Response()) if principal.may(Action.REPLAY) else []
    )
    feed = [FeedItem.model_validate(r) for r in backend.queries.lead_feed(lead_id, limit=100).rows]
    reached = PATH.index(document.status) if document.status in PATH else -1
    allowed = {command.name.lower() for command, statuses in ALLOWED.items() if document.status in statuses}
    return {
        "lead": document,
        "allowed": allowed,
        "assigned_by_rule": getattr(written, "assigned_by_rule", None),
        "owned_by_rule": getattr(written, "owned_by_rule", False),
        "missing_bant": [b.value for b in BantItem if b not in document.bant],
        "path": [{"status": s.value, "needs": NEEDS[s], "done": i <= reached} for i, s in enumerate(PATH)],
        "history": history,
        "feed": feed,
        "neighbours": neighbours(backend, principal, lead_id, ctx, at) if ctx or at else {},
        "ctx": ctx,
        "at": at,
        "editable": EDITABLE,
        "priorities": [p.value for p in Priority],
        "activity_kinds": [k.value for k in ActivityKind],
        "bant_items": [b.value for b in BantItem],
        **workflow_context(backend, principal, document, written),
    }


@router.get("/{lead_id:uuid}", response_class=HTMLResponse)
async def lead_page(
    request: Request, lead_id: UUID, backend: BackendDep, principal: SessionDep, ctx: str = "", at: str = ""
) -> Response:
    after = request.query_params.get("after", "")
    fresh = await caught_up(backend, int(after) if after.isdigit() and len(after) < 19 else None)
    try:
        context = await run_in_threadpool(lead_context, backend, principal, lead_id, ctx=ctx[:4000], at=at[:2000])
    except REFUSED as e:
        status, error = refusal(e)
        return page(request, "message.html", principal, status=status, error=error, back="/ui/leads")
    return page(request, "lead.html", principal, fresh=fresh, **context)


@router.get("/{lead_id:uuid}/as-of", response_class=HTMLResponse)
def lead_as_of(request: Request, lead_id: UUID, backend: BackendDep, principal: SessionDep, at: str = "") -> Response:
    """The lead as ``GET /leads/{id}?as_of=at`` returns it: a fragment the slider swaps in."""
    try:
        moment = as_utc(datetime.fromisoformat(at))
        state = lead_routes.get_lead(lead_id, backend, principal, Response(), None, as_of=moment)
        if not isinstance(state, LeadState):  # with as_of it is the lead rebuilt from its events
            raise TypeError(f"expected a replayed lead, got {type(state).__name__}")
    except (*REFUSED, ValueError) as e:
        status, error = refusal(e) if isinstance(e, REFUSED) else (422, f"at: {e}")
        return templates.TemplateResponse(request, "as_of.html", {"error": error}, status_code=status)
    return templates.TemplateResponse(
        request, "as_of.html", {"state": state, "at": moment, "json": state.model_dump_json(indent=2)}
    )
