"""Capture, list and read leads; history and replay for compliance reviewers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Response, status

from api import links
from api.auth import Action as A
from api.auth import permission
from api.command_models import TransferBody
from api.conditional import entity_tag, none_match, not_modified
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
    ConversionSuggestion,
    HistoryEntry,
    LeadCreate,
    LeadDetailPublic,
    LeadPage,
    LeadPublic,
    LeadState,
    TransferRefusal,
    TransferResult,
)
from api.query_models import ListQuery, SavedViewQuery
from api.routes.commands import accepted
from domain.access import Principal
from domain.base import DomainEvent
from domain.contract.envelope import envelope_of
from domain.duplicates import Combined, OnDuplicate, screen
from domain.errors import NotFound
from domain.limits import TRUSTED, HeaderText
from domain.values import LeadDetails
from projections.lead_detail import LeadDetail
from projections.lead_list import LeadList
from projections.lead_queries import LeadFilter, merge_filters
from projections.queries import ReadModels

router = APIRouter(prefix="/leads", tags=["leads"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CommandAccepted,
    responses={201: {"links": links.AFTER_CAPTURE}},
    **permission(A.CREATE),
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
    details = LeadDetails.model_validate(body.model_dump())
    check = screen(Combined(backend.queries, cmd.service), cmd.service.links_of, on_duplicate)
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


@router.get("", response_model=LeadPage, **permission(A.VIEW))
def list_leads(
    backend: BackendDep,
    principal: PrincipalDep,
    query: Annotated[ListQuery, Query()],
    _: ListAfter,
) -> LeadPage:
    """Filter, search, sort and page through leads (keyset pagination: pass `next` back as `cursor`).
    `view` picks a system view, `saved` one of yours (its sort and order apply unless the request
    names its own); everyone sees only the leads their role's scope covers."""
    base, sort, descending = list_filter(query, principal, backend.queries, A.VIEW)
    page = backend.queries.find_leads(base, sort=sort, descending=descending, cursor=query.cursor, limit=query.limit)
    return LeadPage(items=[LeadPublic.model_validate(r) for r in page.rows], next=page.next_cursor)


def list_filter(query: ListQuery, principal: Principal, queries: ReadModels, action: A) -> tuple[LeadFilter, str, bool]:
    """A list query as the read model takes it: its filters, its ``saved`` and system ``view``
    merged in, limited to the leads the caller may ``action``; and its sort and direction.
    Lists and exports share it, so an export is exactly the list it was asked for."""
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
    return replace(base, scope=principal.scope(action)), sort, order == "desc"


@router.post("/transfer", response_model=TransferResult, **permission(A.ARCHIVE))
def transfer(body: TransferBody, cmd: CommandDep, backend: BackendDep) -> TransferResult:
    """Mass transfer from one owner to another: the leads named, or else every open lead of
    ``from_owner``. Each lead is moved, or refused with its reason, on its own: a lead the caller
    may not edit, or whose owner is no longer ``from_owner`` (checked on the lead itself, at the
    moment it moves), stays where it is."""
    lead_ids = body.lead_ids if body.lead_ids is not None else backend.queries.open_leads_of(body.from_owner)
    outcomes = cmd.service.transfer(
        lead_ids=lead_ids,
        from_owner=body.from_owner,
        to_owner=body.to_owner,
        meta=cmd.meta,
        check=lambda lead: cmd.principal.require_lead(A.EDIT, lead),
    )
    return TransferResult(
        transferred=[o.lead_id for o in outcomes if o.moved],
        refused=[TransferRefusal(lead_id=o.lead_id, reason=o.reason) for o in outcomes if not o.moved],
    )


NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "The lead is still at the version `If-None-Match` names"}
}
IfNoneMatch = Annotated[
    HeaderText | None,
    Header(description='The ETag you hold (e.g. "3"); 304 Not Modified while the lead is still at that version'),
]


@router.get(
    "/{lead_id:uuid}", response_model=LeadDetailPublic | LeadState, responses=NOT_MODIFIED, **permission(A.VIEW)
)
def get_lead(
    lead_id: UUID,
    backend: BackendDep,
    principal: PrincipalDep,
    response: Response,
    _: DetailAfter,
    if_none_match: IfNoneMatch = None,
    as_of: Annotated[
        Moment | None, Query(description="Rebuild the lead as it was at this instant (UTC if no offset is given)")
    ] = None,
    version: Annotated[
        int | None, Query(ge=1, le=MAX_VERSION, description="Rebuild the lead as it was at this version")
    ] = None,
) -> LeadDetailPublic | LeadState | Response:
    """The projected lead document; with ``as_of`` or ``version``, the lead rebuilt from its events.
    Its ``ETag`` is the version it shows: send it back as ``If-Match`` on a command, or as
    ``If-None-Match`` here for a 304 while nothing changed."""
    service = backend.service
    lead = service.get_lead(lead_id)
    principal.require_lead(A.VIEW, lead)
    if as_of is not None or version is not None:
        principal.require_lead(A.REPLAY, lead)
        state = LeadState.of(
            service.lead_as_of(lead_id, as_utc(as_of))
            if as_of is not None
            else service.get_lead(lead_id, version=version)
        )
        return conditional(state, response, if_none_match)
    document = LeadDetailPublic.model_validate(backend.queries.lead_document(lead_id), context=TRUSTED)
    if document.owner == principal.user:
        backend.queries.mark_lead_read(principal.user, lead_id, document.version)
    return conditional(document, response, if_none_match)


def conditional(
    shown: LeadDetailPublic | LeadState, response: Response, if_none_match: str | None
) -> LeadDetailPublic | LeadState | Response:
    """``shown`` with its strong ETag, or 304 when the client already holds that version."""
    if none_match(if_none_match, shown.version):
        return not_modified(shown.version)
    response.headers["ETag"] = entity_tag(shown.version)
    return shown


@router.get("/{lead_id:uuid}/conversion", response_model=ConversionSuggestion, **permission(A.VIEW))
def conversion(lead_id: UUID, service: ServiceDep, principal: PrincipalDep) -> ConversionSuggestion:
    """The existing account and contact converting this lead would link (the company's, found by
    its name however written or its email domain; the person's, by email), and what matched."""
    principal.require_lead(A.VIEW, service.get_lead(lead_id))
    found = service.conversion_suggestion(lead_id)
    return ConversionSuggestion(
        account_id=found.account_id, contact_id=found.contact_id, matched_on=list(found.matched_on)
    )


@router.get("/{lead_id:uuid}/history", response_model=list[HistoryEntry], **permission(A.REPLAY))
def history(lead_id: UUID, service: ServiceDep, principal: PrincipalDep, response: Response) -> list[HistoryEntry]:
    """Every event of the lead: type, version, time, who, why (command and cause), payload.
    Its ``ETag`` is the lead's version the history ends at."""
    principal.require_lead(A.REPLAY, service.get_lead(lead_id))
    entries = [history_entry(e) for e in service.history(lead_id)]
    if entries:
        response.headers["ETag"] = entity_tag(entries[-1].version)
    return entries


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
