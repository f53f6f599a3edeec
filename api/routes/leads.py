"""Capture, list and read leads; history and replay for compliance reviewers."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from api.auth import Permission as P
from api.auth import Role
from api.command_models import TransferBody
from api.deps import CommandDep, EngineDep, PrincipalDep, ServiceDep
from api.errors import PossibleDuplicate
from api.models import (CommandAccepted, DuplicateCandidate, HistoryEntry, LeadCreate, LeadDetailPublic, LeadPage,
                        LeadPublic, LeadState, TransferResult)  # fmt: skip
from api.query_models import LeadFilters, ListQuery, SystemView
from api.routes.commands import accepted
from consumers.contract import envelope_of
from domain.base import DomainEvent
from domain.errors import InvalidCommand, NotFound
from domain.service import LeadService
from domain.values import LeadDetails
from infra.read_consistency import wait_until_projected
from infra.runtime import Engine
from infra.user_state import UserState
from projections.aging import Aging
from projections.dedupe_index import DedupeIndex
from projections.lead_detail import LeadDetail
from projections.lead_list import LeadList
from projections.lead_queries import BadCursor, LeadFilter, LeadQueries, merge_filters, system_view

router = APIRouter(prefix="/leads", tags=["leads"])


class OnDuplicate(StrEnum):
    REJECT = "reject"
    CREATE = "create"
    ASSOCIATE = "associate"


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CommandAccepted)
def create_lead(
    body: LeadCreate,
    cmd: CommandDep,
    engine: EngineDep,
    on_duplicate: Annotated[OnDuplicate | None, Query(
        description="When leads that look like this one exist: `reject` (the default: 409 listing them), "
                    "`create` anyway, or `associate` the new lead with the best match's account and contact")] = None,
) -> CommandAccepted:  # fmt: skip
    """Capture a lead, after checking the dedupe index for the same email, phone or person."""
    cmd.principal.require(P.CREATE)

    def screen(details: LeadDetails) -> LeadDetails:
        if on_duplicate is OnDuplicate.CREATE:
            return details
        with engine.db.cursor() as cur:
            candidates = DedupeIndex(schema=engine.settings.read_schema).candidates(cur, details.model_dump(mode="json"))
        if candidates and on_duplicate is OnDuplicate.ASSOCIATE:
            return associated(cmd.service, details, candidates[0].lead_id)
        if candidates:
            raise PossibleDuplicate([DuplicateCandidate(lead_id=c.lead_id, contact_name=c.contact_name,
                                                        matched_on=list(c.matched_on)) for c in candidates])  # fmt: skip
        return details

    details = LeadDetails.model_validate(body.model_dump())
    return accepted(cmd.service.capture_lead(details=details, meta=cmd.meta, screen=screen))


def associated(service: LeadService, details: LeadDetails, existing_id: UUID) -> LeadDetails:
    """``details`` linked to the account and contact of an existing lead (its conversion's, or its own links)."""
    existing = service.get_lead(existing_id)
    links = existing.conversion
    account_id = links.account_id if links else existing.details.account_id
    contact_id = links.contact_id if links else existing.details.contact_id
    if account_id is None and contact_id is None:
        raise InvalidCommand(f"lead {existing_id} has no account or contact to associate with; "
                             "use on_duplicate=create or reject", field="on_duplicate")  # fmt: skip
    return details.model_copy(update={"account_id": account_id, "contact_id": contact_id})


AfterQuery = Annotated[int | None, Query(ge=0, description="Read your writes: wait until the view includes this "
                                                           "log position (a command's `position`)")]


def read_after(engine: Engine, response: Response, after: int | None, projection: str = LeadList.name) -> None:
    """Wait (bounded) for the projection to reach ``after``; say in a header whether it did."""
    if after is not None:
        caught_up = wait_until_projected(engine, projection, after, timeout_s=engine.settings.read_wait_s)
        response.headers["X-Read-Consistent"] = "true" if caught_up else "false"


@router.get("", response_model=LeadPage)
def list_leads(
    engine: EngineDep,
    principal: PrincipalDep,
    response: Response,
    query: Annotated[ListQuery, Query()],
    after: AfterQuery = None,
) -> LeadPage:
    """Filter, search, sort and page through leads (keyset pagination: pass `next` back as `cursor`).
    `view` picks a system view; reps only ever see the leads they own."""
    principal.require(P.VIEW)
    read_after(engine, response, after)
    schema = engine.settings.read_schema
    with engine.db.cursor() as cur:
        base = query.to_filter()
        if query.saved is not None:
            base = merge_filters(saved_filter(cur, schema, principal.user, query.saved), base)
        if query.view is not None:
            base = merge_filters(view_filter(cur, engine, principal.user, query.view), base)
        if principal.role is Role.REP:
            base = replace(base, owner=principal.user)
        try:
            page = LeadQueries(schema=schema).find(cur, base, sort=query.sort.value, descending=query.order == "desc",
                                                   cursor=query.cursor, limit=query.limit)  # fmt: skip
        except BadCursor as e:
            raise InvalidCommand(str(e), field="cursor") from None
    return LeadPage(items=[LeadPublic.model_validate(r) for r in page.rows], next=page.next_cursor)


def saved_filter(cur: object, schema: str, user: str, name: str) -> LeadFilter:
    views = dict(UserState(schema=schema).views(cur, user=user))
    if name not in views:
        raise InvalidCommand(f"you have no saved view {name!r}; saved: {', '.join(views) or 'none'}", field="saved")
    return LeadFilters.model_validate(views[name]).to_filter()


def view_filter(cur: object, engine: Engine, user: str, view: SystemView) -> LeadFilter:
    now = datetime.now(UTC)
    aging: tuple[UUID, ...] = ()
    if view is SystemView.AGING:  # type: ignore[attr-defined]
        thresholds = {str(k): v for k, v in engine.settings.aging_thresholds_days.items()}
        overdue = Aging(schema=engine.settings.read_schema).overdue(cur, thresholds=thresholds, now=now, alerted_too=True)
        aging = tuple(r["lead_id"] for r in overdue if r["owner"] == user)
    return system_view(view.value, user=user, now=now, aging_ids=aging)


@router.post("/transfer", response_model=TransferResult)
def transfer(body: TransferBody, cmd: CommandDep, engine: EngineDep) -> TransferResult:
    """Mass transfer: every open lead of one owner to another, one idempotent command each."""
    cmd.principal.require(P.ARCHIVE)
    with engine.db.cursor() as cur:
        lead_ids = LeadQueries(schema=engine.settings.read_schema).open_leads_of(cur, body.from_owner)
    moved = []
    for lead_id in lead_ids:
        cmd.principal.require_lead(P.EDIT, lambda: cmd.service.get_lead(lead_id))
        key = f"{cmd.meta.command_id}/{lead_id}" if cmd.meta.command_id else None
        cmd.service.assign(lead_id=lead_id, owner=body.to_owner, meta=cmd.meta.model_copy(update={"command_id": key}))
        moved.append(lead_id)
    return TransferResult(transferred=moved)


@router.get("/{lead_id}", response_model=LeadDetailPublic | LeadState)
def get_lead(
    lead_id: UUID,
    engine: EngineDep,
    principal: PrincipalDep,
    response: Response,
    after: AfterQuery = None,
    as_of: Annotated[datetime | None, Query(description="Rebuild the lead as it was at this instant")] = None,
    version: Annotated[int | None, Query(ge=1, description="Rebuild the lead as it was at this version")] = None,
) -> LeadDetailPublic | LeadState:
    """The projected lead document; with ``as_of`` or ``version``, the lead rebuilt from its events."""
    service = engine.service
    principal.require_lead(P.VIEW, lambda: service.get_lead(lead_id))
    if as_of is not None or version is not None:
        principal.require(P.REPLAY)
        if as_of is not None:
            return LeadState.of(service.lead_as_of(lead_id, as_of if as_of.tzinfo else as_of.astimezone()))
        return LeadState.of(service.get_lead(lead_id, version=version))
    read_after(engine, response, after, LeadDetail.name)
    with engine.db.cursor() as cur:
        doc = LeadDetail(schema=engine.settings.read_schema).get(cur, lead_id)
    if doc is None:
        raise NotFound("lead", lead_id)
    return LeadDetailPublic.model_validate(doc)


@router.get("/{lead_id}/history", response_model=list[HistoryEntry])
def history(lead_id: UUID, service: ServiceDep, principal: PrincipalDep) -> list[HistoryEntry]:
    """Every event of the lead: type, version, time, who, why (command and cause), payload."""
    principal.require(P.REPLAY)
    return [history_entry(e) for e in service.history(lead_id)]


def history_entry(event: DomainEvent) -> HistoryEntry:
    envelope = envelope_of(event)
    meta = envelope.payload["meta"]
    return HistoryEntry(type=envelope.type, version=envelope.version, time=envelope.time, actor=meta["actor"],
                        channel=meta["channel"], command_id=meta.get("command_id"),
                        correlation_id=meta.get("correlation_id"), causation_id=meta.get("causation_id"),
                        payload={k: v for k, v in envelope.payload.items() if k != "meta"})  # fmt: skip
