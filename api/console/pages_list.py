"""The leads list: filters, search and sort in the URL (a view can be bookmarked and shared),
saved and system views, keyset pages, and the bulk transfer. Every read and write goes through
the JSON API's own route functions, so the console shows exactly what the API answers."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.command_models import TransferBody
from api.console.commanding import command_context
from api.console.render import REFUSED, page, refusal
from api.console.session import Csrf, SessionDep
from api.deps import BackendDep
from api.models import LeadPage, LeadPublic
from api.query_models import ListQuery, SavedViewQuery, SortKey, SystemView
from api.routes import leads as lead_routes
from api.routes import views as view_routes
from domain import limits
from domain.access import Action, Principal
from domain.errors import InvalidCommand
from domain.picklists import DisqualifyReason, LeadSource, LeadStatus, Priority, Temperature

router = APIRouter(prefix="/ui", include_in_schema=False)

FILTER_KEYS = tuple(k for k in ListQuery.model_fields if k not in ("cursor", "limit"))
OPTIONAL_COLUMNS = ("grade",)
"""Columns shown when the list's read model has them (scoring adds a grade)."""
MAX_BACK = 20
"""Pages of cursors kept in the URL for "previous page"."""


def list_params(request: Request) -> dict[str, str]:
    """The list's query as given, without empty fields (an empty filter is no filter)."""
    keep = (*FILTER_KEYS, "cursor", "limit")
    return {k: v for k, v in request.query_params.items() if k in keep and v.strip()}


def run_list(backend: BackendDep, principal: Principal, params: dict[str, str]) -> LeadPage:
    query = ListQuery.model_validate(params)
    return lead_routes.list_leads(backend, principal, query, None)


def filter_choices() -> dict[str, list[str]]:
    """The options of the filter form (shared by the list and the Kanban board)."""
    return {
        "statuses": [s.value for s in LeadStatus],
        "sources": [s.value for s in LeadSource],
        "priorities": [p.value for p in Priority],
        "temperatures": [t.value for t in Temperature],
        "sorts": [s.value for s in SortKey],
        "disqualify_reasons": [r.value for r in DisqualifyReason],
    }


def context_of(params: dict[str, str]) -> str:
    """The list a lead was opened from, for next and previous on its page."""
    return urlencode({k: v for k, v in params.items() if k != "cursor"})


@router.get("/leads", response_class=HTMLResponse)
def leads_list(request: Request, backend: BackendDep, principal: SessionDep) -> Response:
    params = list_params(request)
    back = [c for c in request.query_params.get("back", "").split(".") if c][-MAX_BACK:]
    error, status = None, 200
    try:
        result = run_list(backend, principal, params)
    except REFUSED as e:
        status, error = refusal(e)
        result = LeadPage(items=[])
    filters = {k: v for k, v in params.items() if k != "cursor"}
    current = params.get("cursor", "")
    next_url = None
    if result.next:
        next_url = "/ui/leads?" + urlencode(filters | {"cursor": result.next, "back": ".".join([*back, current])})
    prev_url = None
    if current:
        earlier, prev = back[:-1], (back[-1] if back else "")
        prev_url = "/ui/leads?" + urlencode(
            filters | ({"cursor": prev} if prev else {}) | ({"back": ".".join(earlier)} if earlier else {})
        )
    return page(
        request,
        "leads.html",
        principal,
        status=status,
        error=error,
        rows=result.items,
        filters=filters,
        base_query=urlencode({k: v for k, v in filters.items() if k != "limit"}),
        lead_context=context_of(params),
        cursor=current,
        next_url=next_url,
        prev_url=prev_url,
        views=view_routes.list_views(backend.queries, principal),
        system_views=[v.value for v in SystemView],
        **filter_choices(),
        columns=[c for c in OPTIONAL_COLUMNS if c in LeadPublic.model_fields],
    )


@router.post("/views", dependencies=[Csrf])
def save_view(
    request: Request,
    backend: BackendDep,
    principal: SessionDep,
    name: Annotated[str, Form(min_length=1, max_length=100)],
    query: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Save the current list's filters and sort under a name (``PUT /views/{name}``)."""
    filters: dict[str, Any] = {k: v for k, v in parse_qsl(query) if k in SavedViewQuery.model_fields and v.strip()}
    try:
        view_routes.save_view(name.strip(), SavedViewQuery.model_validate(filters), backend.queries, principal)
    except REFUSED as e:
        status, error = refusal(e)
        return page(request, "message.html", principal, status=status, error=error, back="/ui/leads?" + query)
    return RedirectResponse("/ui/leads?" + urlencode({"saved": name.strip()}), status_code=303)


def matching(backend: BackendDep, principal: Principal, query: str) -> list[UUID]:
    """Every lead the list with these filters shows, page by page (the API's cursors), up to the
    limit on ids in one bulk request: "select all N matching", not just the page on screen."""
    most = limits.current().list_items
    params = {k: v for k, v in parse_qsl(query) if k in FILTER_KEYS and v.strip()} | {"limit": "500"}
    ids: list[UUID] = []
    while True:
        result = run_list(backend, principal, params)
        ids += [row.lead_id for row in result.items]
        if len(ids) > most:
            raise InvalidCommand(f"more than {most} leads match; narrow the filters", field="which")
        if not result.next:
            return ids
        params["cursor"] = result.next


@router.post("/leads/transfer", dependencies=[Csrf])
def transfer(
    request: Request,
    backend: BackendDep,
    principal: SessionDep,
    from_owner: Annotated[str, Form(max_length=200)],
    to_owner: Annotated[str, Form(max_length=200)],
    which: Annotated[str, Form(pattern="^(selected|all|matching)$")] = "selected",
    query: Annotated[str, Form(max_length=4000)] = "",
    lead_ids: Annotated[list[UUID] | None, Form()] = None,
    command_key: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """The bulk transfer of ``POST /leads/transfer``: the leads ticked, or every open lead of
    ``from_owner``; each lead moved or refused with its reason, shown one by one."""
    principal.require(Action.ARCHIVE)
    try:
        chosen = {"selected": list(lead_ids or []), "all": None}
        body = TransferBody(
            from_owner=from_owner.strip(),
            to_owner=to_owner.strip(),
            lead_ids=chosen[which] if which in chosen else matching(backend, principal, query),
        )
        cmd = command_context(request, principal, command_key=command_key, version=None)
        result = lead_routes.transfer(body, cmd, backend)
    except (*REFUSED, ValidationError) as e:
        status, error = refusal(e)
        return page(request, "message.html", principal, status=status, error=error, back="/ui/leads")
    return page(request, "transfer_result.html", principal, result=result, from_owner=from_owner, to_owner=to_owner)
