"""Capture, list and read leads; history and replay for compliance reviewers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from api.auth import Permission as P
from api.auth import Role
from api.command_models import TransferBody
from api.deps import CommandDep, EngineDep, PrincipalDep, ServiceDep
from api.models import CommandAccepted, HistoryEntry, LeadCreate, LeadPage, LeadPublic, LeadState, TransferResult
from api.routes.commands import accepted
from consumers.contract import envelope_of
from domain.base import DomainEvent
from domain.errors import NotFound
from domain.values import LeadDetails, LeadStatus
from infra.read_consistency import wait_until_projected
from infra.runtime import Engine
from projections.lead_list import LeadList

router = APIRouter(prefix="/leads", tags=["leads"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CommandAccepted)
def create_lead(body: LeadCreate, cmd: CommandDep) -> CommandAccepted:
    cmd.principal.require(P.CREATE)
    details = LeadDetails.model_validate(body.model_dump())
    return accepted(cmd.service.capture_lead(details=details, meta=cmd.meta))


AfterQuery = Annotated[int | None, Query(ge=0, description="Read your writes: wait until the view includes this "
                                                           "log position (a command's `position`)")]


def read_after(engine: Engine, response: Response, after: int | None) -> None:
    """Wait (bounded) for the projection to reach ``after``; say in a header whether it did."""
    if after is not None:
        caught_up = wait_until_projected(engine, LeadList.name, after, timeout_s=engine.settings.read_wait_s)
        response.headers["X-Read-Consistent"] = "true" if caught_up else "false"


@router.get("", response_model=LeadPage)
def list_leads(
    engine: EngineDep,
    principal: PrincipalDep,
    response: Response,
    status: LeadStatus | None = None,
    owner: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    after: AfterQuery = None,
) -> LeadPage:
    """Reps see the leads they own (their followed leads are in their feed)."""
    principal.require(P.VIEW)
    read_after(engine, response, after)
    if principal.role is Role.REP:
        owner = principal.user
    with engine.db.cursor() as cur:
        rows = LeadList(schema=engine.settings.read_schema).find(cur, status=status, owner=owner, limit=limit)
    return LeadPage(items=[LeadPublic.model_validate(r) for r in rows])


@router.post("/transfer", response_model=TransferResult)
def transfer(body: TransferBody, cmd: CommandDep, engine: EngineDep) -> TransferResult:
    """Mass transfer: every open lead of one owner to another, one idempotent command each."""
    cmd.principal.require(P.ARCHIVE)
    with engine.db.cursor() as cur:
        lead_ids = LeadList(schema=engine.settings.read_schema).open_leads_of(cur, body.from_owner)
    moved = []
    for lead_id in lead_ids:
        cmd.principal.require_lead(P.EDIT, lambda: cmd.service.get_lead(lead_id))
        key = f"{cmd.meta.command_id}/{lead_id}" if cmd.meta.command_id else None
        cmd.service.assign(lead_id=lead_id, owner=body.to_owner, meta=cmd.meta.model_copy(update={"command_id": key}))
        moved.append(lead_id)
    return TransferResult(transferred=moved)


@router.get("/{lead_id}", response_model=LeadPublic | LeadState)
def get_lead(
    lead_id: UUID,
    engine: EngineDep,
    principal: PrincipalDep,
    response: Response,
    after: AfterQuery = None,
    as_of: Annotated[datetime | None, Query(description="Rebuild the lead as it was at this instant")] = None,
    version: Annotated[int | None, Query(ge=1, description="Rebuild the lead as it was at this version")] = None,
) -> LeadPublic | LeadState:
    """The projected lead; with ``as_of`` or ``version``, the lead rebuilt from its events."""
    service = engine.service
    principal.require_lead(P.VIEW, lambda: service.get_lead(lead_id))
    if as_of is not None or version is not None:
        principal.require(P.REPLAY)
        if as_of is not None:
            return LeadState.of(service.lead_as_of(lead_id, as_of if as_of.tzinfo else as_of.astimezone()))
        return LeadState.of(service.get_lead(lead_id, version=version))
    read_after(engine, response, after)
    with engine.db.cursor() as cur:
        row = LeadList(schema=engine.settings.read_schema).get(cur, lead_id)
    if row is None:
        raise NotFound("lead", lead_id)
    return LeadPublic.model_validate(row)


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
