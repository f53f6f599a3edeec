"""Capture, list and read leads; history and replay for compliance reviewers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from functools import partial
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response, status

from api import links
from api.auth import Permission as P
from api.auth import Role
from api.command_models import TransferBody
from api.deps import (
    MAX_POSITION,
    MAX_VERSION,
    BackendDep,
    CommandDep,
    Moment,
    PrincipalDep,
    ServiceDep,
    as_utc,
)
from api.models import (
    CommandAccepted,
    HistoryEntry,
    LeadCreate,
    LeadDetailPublic,
    LeadPage,
    LeadPublic,
    LeadState,
    TransferResult,
)
from api.query_models import ListQuery, SavedViewQuery
from api.routes.commands import accepted
from domain.base import DomainEvent
from domain.contract.envelope import envelope_of
from domain.duplicates import OnDuplicate, screen
from domain.errors import NotFound
from domain.limits import TRUSTED
from domain.values import LeadDetails
from projections.lead_detail import LeadDetail
from projections.lead_list import LeadList
from projections.lead_queries import merge_filters

router = APIRouter(prefix="/leads", tags=["leads"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CommandAccepted,
    responses={201: {"links": links.AFTER_CAPTURE}},
)
def create_lead(
    body: LeadCreate,
    cmd: CommandDep,
    backend: BackendDep,
    on_duplicate: Annotated[
        OnDuplicate | None,
        Query(
            description="When leads that look like this one exist: `reject` (the default: 409 listing them), "
            "`create` anyway, or `associate` the new lead with the best match's account and contact"
        ),
    ] = None,
) -> CommandAccepted:
    """Capture a lead, after checking for leads with the same email, phone or person."""
    cmd.principal.require(P.CREATE)
    details = LeadDetails.model_validate(body.model_dump())
    check = screen(backend.queries, cmd.service.account_and_contact_of, on_duplicate)
    return accepted(cmd.service.capture_lead(details=details, meta=cmd.meta, screen=check))


AfterQuery = Annotated[
    int | None,
    Query(
        ge=0,
        le=MAX_POSITION,
        description="Read your writes: wait until the view includes this log position (a command's `position`)",
    ),
]


def read_after(projection: str) -> Callable[..., Awaitable[None]]:
    """A dependency that waits (bounded, asynchronously: no worker thread is parked) for the
    projection to reach ``?after=``, and says in a header whether it did."""

    async def wait(backend: BackendDep, response: Response, after: AfterQuery = None) -> None:
        if after is not None:
            caught_up = await backend.wait_until_projected(projection, after, backend.config.read_wait_s)
            response.headers["X-Read-Consistent"] = "true" if caught_up else "false"

    return wait


ListAfter = Annotated[None, Depends(read_after(LeadList.name))]
DetailAfter = Annotated[None, Depends(read_after(LeadDetail.name))]


@router.get("", response_model=LeadPage)
def list_leads(
    backend: BackendDep,
    principal: PrincipalDep,
    query: Annotated[ListQuery, Query()],
    _: ListAfter,
) -> LeadPage:
    """Filter, search, sort and page through leads (keyset pagination: pass `next` back as `cursor`).
    `view` picks a system view, `saved` one of yours (its sort and order apply unless the request
    names its own); reps only ever see the leads they own."""
    principal.require(P.VIEW)
    queries = backend.queries
    base = query.to_filter()
    sort, order = query.sort.value, query.order
    if query.saved is not None:
        views = dict(queries.saved_views(principal.user))
        if query.saved not in views:
            raise NotFound("saved view", repr(query.saved))
        saved = SavedViewQuery.model_validate(views[query.saved], context=TRUSTED)
        base = merge_filters(saved.to_filter(), base)
        if saved.sort is not None and "sort" not in query.model_fields_set:
            sort = saved.sort.value
        if saved.order is not None and "order" not in query.model_fields_set:
            order = saved.order
    if query.view is not None:
        base = merge_filters(queries.system_view(query.view.value, user=principal.user), base)
    if principal.role is Role.REP:
        base = replace(base, owner=principal.user)
    page = queries.find_leads(base, sort=sort, descending=order == "desc", cursor=query.cursor, limit=query.limit)
    return LeadPage(items=[LeadPublic.model_validate(r) for r in page.rows], next=page.next_cursor)


@router.post("/transfer", response_model=TransferResult)
def transfer(body: TransferBody, cmd: CommandDep, backend: BackendDep) -> TransferResult:
    """Mass transfer: every open lead of one owner to another, one idempotent command each."""
    cmd.principal.require(P.ARCHIVE)
    lead_ids = backend.queries.open_leads_of(body.from_owner)
    moved = cmd.service.transfer(
        lead_ids=lead_ids,
        to_owner=body.to_owner,
        meta=cmd.meta,
        check=lambda lead: cmd.principal.require_lead(P.EDIT, lambda: lead),
    )
    return TransferResult(transferred=moved)


@router.get("/{lead_id:uuid}", response_model=LeadDetailPublic | LeadState)
def get_lead(
    lead_id: UUID,
    backend: BackendDep,
    principal: PrincipalDep,
    _: DetailAfter,
    as_of: Annotated[
        Moment | None, Query(description="Rebuild the lead as it was at this instant (UTC if no offset is given)")
    ] = None,
    version: Annotated[
        int | None, Query(ge=1, le=MAX_VERSION, description="Rebuild the lead as it was at this version")
    ] = None,
) -> LeadDetailPublic | LeadState:
    """The projected lead document; with ``as_of`` or ``version``, the lead rebuilt from its events."""
    service = backend.service
    principal.require_lead(P.VIEW, partial(service.get_lead, lead_id))
    if as_of is not None or version is not None:
        principal.require(P.REPLAY)
        if as_of is not None:
            return LeadState.of(service.lead_as_of(lead_id, as_utc(as_of)))
        return LeadState.of(service.get_lead(lead_id, version=version))
    return LeadDetailPublic.model_validate(backend.queries.lead_document(lead_id), context=TRUSTED)


@router.get("/{lead_id:uuid}/history", response_model=list[HistoryEntry])
def history(lead_id: UUID, service: ServiceDep, principal: PrincipalDep) -> list[HistoryEntry]:
    """Every event of the lead: type, version, time, who, why (command and cause), payload."""
    principal.require(P.REPLAY)
    return [history_entry(e) for e in service.history(lead_id)]


def history_entry(event: DomainEvent) -> HistoryEntry:
    envelope = envelope_of(event)
    meta = envelope.payload["meta"]
    return HistoryEntry(
        type=envelope.type,
        version=envelope.version,
        time=envelope.time,
        actor=meta["actor"],
        channel=meta["channel"],
        command_id=meta.get("command_id"),
        correlation_id=meta.get("correlation_id"),
        causation_id=meta.get("causation_id"),
        payload={k: v for k, v in envelope.payload.items() if k != "meta"},
    )
