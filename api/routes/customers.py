"""The customer master: accounts, contacts and opportunities, listed, searched and read from the
``customers`` read model (scope from the one permission table), their histories from the event
store, and an opportunity's stage, amount, probability and close date changed by command."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from api.auth import permission
from api.deps import BackendDep, CommandDep, PrincipalDep, ServiceDep
from api.models import CommandAccepted, HistoryEntry
from api.routes.commands import accepted
from api.routes.leads import history_entry
from domain.access import Action as A
from domain.customers import STAGES
from domain.limits import Name, ShortText
from projections.customer_queries import CustomerFilter

router = APIRouter(tags=["customers"])


def iso_date(value: Any) -> Any:
    """A date must be written as one (pydantic would also read a number as Unix time)."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("must be an ISO 8601 date, e.g. 2027-03-31")
    return value


IsoDate = Annotated[date, BeforeValidator(iso_date)]
Stage = Literal[
    "prospecting", "qualification", "needs_analysis", "proposal", "negotiation", "closed_won", "closed_lost"
]
assert set(Stage.__args__) == set(STAGES)  # type: ignore[attr-defined]  # pragma: no mutate


class Paging(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: ShortText | None = Field(default=None, description="Part of the name, in any script")
    cursor: str | None = Field(
        default=None, max_length=2000, pattern=r"^[A-Za-z0-9_-]+=*$", description="`next` from the previous page"
    )
    limit: int = Field(default=50, ge=1, le=500)


class AccountQuery(Paging):
    industry: ShortText | None = None


class ContactQuery(Paging):
    account_id: UUID | None = None
    email: ShortText | None = None


class OpportunityQuery(Paging):
    account_id: UUID | None = None
    stage: Stage | None = None
    owner: Name | None = None
    open: bool = Field(default=False, description="Only those not closed won or lost")
    closing_after: IsoDate | None = None
    closing_before: IsoDate | None = None


class Page(BaseModel):
    items: list[dict[str, Any]]
    next: str | None = Field(default=None, description="Pass as `cursor` for the next page; null on the last page")


class OpportunityChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stage: Stage | None = None
    amount: Decimal | None = Field(default=None, ge=0, le=Decimal("1e15"), max_digits=20, decimal_places=2)
    probability: int | None = Field(default=None, ge=0, le=100, strict=True)
    close_date: IsoDate | None = None


def _page(backend: BackendDep, principal: PrincipalDep, kind: str, query: Paging, **filters: Any) -> Page:
    f = CustomerFilter(q=query.q, **filters)
    items, nxt = backend.queries.find_customers(
        kind, f, scope=principal.scope(A.VIEW), cursor=query.cursor, limit=query.limit
    )
    return Page(items=items, next=nxt)


@router.get("/accounts", response_model=Page, **permission(A.VIEW))
def list_accounts(backend: BackendDep, principal: PrincipalDep, query: Annotated[AccountQuery, Query()]) -> Page:
    """Accounts, oldest first; `q` searches names however written (transliterated)."""
    return _page(backend, principal, "accounts", query, industry=query.industry)


@router.get("/contacts", response_model=Page, **permission(A.VIEW))
def list_contacts(backend: BackendDep, principal: PrincipalDep, query: Annotated[ContactQuery, Query()]) -> Page:
    return _page(backend, principal, "contacts", query, account_id=query.account_id, email=query.email)


@router.get("/opportunities", response_model=Page, **permission(A.VIEW))
def list_opportunities(
    backend: BackendDep, principal: PrincipalDep, query: Annotated[OpportunityQuery, Query()]
) -> Page:
    return _page(
        backend,
        principal,
        "opportunities",
        query,
        account_id=query.account_id,
        stage=query.stage,
        owner=query.owner,
        open_only=query.open,
        closing_after=query.closing_after,
        closing_before=query.closing_before,
    )


@router.get("/accounts/{record_id}", response_model=dict[str, Any], **permission(A.VIEW))
def get_account(record_id: UUID, backend: BackendDep, principal: PrincipalDep) -> dict[str, Any]:
    """The account with its contacts, opportunities and source leads."""
    return backend.queries.customer_document("accounts", record_id, scope=principal.scope(A.VIEW))


@router.get("/contacts/{record_id}", response_model=dict[str, Any], **permission(A.VIEW))
def get_contact(record_id: UUID, backend: BackendDep, principal: PrincipalDep) -> dict[str, Any]:
    """The contact with its account, opportunities and source leads."""
    return backend.queries.customer_document("contacts", record_id, scope=principal.scope(A.VIEW))


@router.get("/opportunities/{record_id}", response_model=dict[str, Any], **permission(A.VIEW))
def get_opportunity(record_id: UUID, backend: BackendDep, principal: PrincipalDep) -> dict[str, Any]:
    """The opportunity with its account, contact and source lead."""
    return backend.queries.customer_document("opportunities", record_id, scope=principal.scope(A.VIEW))


def _history(kind: str, record_id: UUID, service: ServiceDep, principal: PrincipalDep) -> list[HistoryEntry]:
    principal.require_record(A.REPLAY, kind, record_id, service.customer_users(kind, record_id))
    return [history_entry(e) for e in service.customer_history(kind, record_id)]


@router.get("/accounts/{record_id}/history", response_model=list[HistoryEntry], **permission(A.REPLAY))
def account_history(record_id: UUID, service: ServiceDep, principal: PrincipalDep) -> list[HistoryEntry]:
    return _history("account", record_id, service, principal)


@router.get("/contacts/{record_id}/history", response_model=list[HistoryEntry], **permission(A.REPLAY))
def contact_history(record_id: UUID, service: ServiceDep, principal: PrincipalDep) -> list[HistoryEntry]:
    return _history("contact", record_id, service, principal)


@router.get("/opportunities/{record_id}/history", response_model=list[HistoryEntry], **permission(A.REPLAY))
def opportunity_history(record_id: UUID, service: ServiceDep, principal: PrincipalDep) -> list[HistoryEntry]:
    return _history("opportunity", record_id, service, principal)


@router.patch("/opportunities/{record_id}", response_model=CommandAccepted, **permission(A.EDIT))
def change_opportunity(record_id: UUID, body: OpportunityChange, cmd: CommandDep) -> CommandAccepted:
    """Move the stage, change the amount, probability or close date: each change its own event.
    A closed (won or lost) opportunity changes no more."""
    cmd.principal.require_record(A.EDIT, "opportunity", record_id, cmd.service.customer_users("opportunity", record_id))
    return accepted(
        cmd.service.change_opportunity(
            opportunity_id=record_id,
            meta=cmd.meta,
            expected_version=cmd.expected_version,
            **body.model_dump(exclude_none=True),
        )
    )


class DuplicateScan(BaseModel):
    scan_id: UUID
    finished: str
    scanned: int
    compared: int
    pairs: int
    sets: int
    seconds: float
    rate: float = Field(description="Leads scanned per second")
    items: list[dict[str, Any]] = Field(description="Duplicate sets: lead_ids and the rules that matched")


@router.get("/duplicates/scan", response_model=DuplicateScan, **permission(A.ARCHIVE))
def duplicate_scan(backend: BackendDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> DuplicateScan:
    """The last duplicate scan (`leads duplicates scan`): its report and its duplicate sets, for
    people to merge (`POST /leads/{id}/merge`) or declare not duplicates."""
    return DuplicateScan.model_validate(backend.queries.duplicate_scan(limit=limit))
