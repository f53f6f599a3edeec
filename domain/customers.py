"""Opportunity, Account and Contact: the customer-master aggregates a conversion creates or
links to. Minimal on purpose; each keeps the links back to the leads it came from."""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from domain.base import Aggregate
from domain.records import OpportunityTerms
from domain.values import ERASED, Address, EventMeta


class Account(Aggregate):
    class Registered(Aggregate.Created):
        name: str
        industry: str | None = None
        address: Address | None = None

        def apply(self, account: Account) -> None:
            account.name = self.name
            account.industry = self.industry
            account.address = self.address

    class LeadLinked(Aggregate.Event):
        lead_id: UUID
        opportunity_id: UUID

        def apply(self, account: Account) -> None:
            account.lead_ids.append(self.lead_id)
            account.opportunity_ids.append(self.opportunity_id)

    class LeadMerged(Aggregate.Event):
        """A lead that duplicated one of the account's contacts was merged into that contact."""

        lead_id: UUID
        contact_id: UUID

        def apply(self, account: Account) -> None:
            account.lead_ids.append(self.lead_id)

    def __init__(self) -> None:
        self.name = ""
        self.industry: str | None = None
        self.address: Address | None = None
        self.lead_ids: list[UUID] = []
        self.opportunity_ids: list[UUID] = []

    @classmethod
    def register(
        cls, *, name: str, industry: str | None, address: Address | None, meta: EventMeta, account_id: UUID
    ) -> Account:
        return cls._create(cls.Registered, id=account_id, name=name, industry=industry, address=address, meta=meta)

    def link_lead(self, *, lead_id: UUID, opportunity_id: UUID, meta: EventMeta) -> None:
        self.trigger_event(self.LeadLinked, lead_id=lead_id, opportunity_id=opportunity_id, meta=meta)

    def record_merged_lead(self, *, lead_id: UUID, contact_id: UUID, meta: EventMeta) -> None:
        self.trigger_event(self.LeadMerged, lead_id=lead_id, contact_id=contact_id, meta=meta)


class Contact(Aggregate):
    class Registered(Aggregate.Created):
        personal_data: ClassVar[dict[str, Any]] = {"name": ERASED, "email": None, "phone": None, "job_title": None}

        account_id: UUID
        name: str
        email: str | None = None
        phone: str | None = None
        job_title: str | None = None

        def apply(self, contact: Contact) -> None:
            contact.account_id = self.account_id
            contact.name = self.name
            contact.email = self.email
            contact.phone = self.phone
            contact.job_title = self.job_title

    class LeadLinked(Aggregate.Event):
        lead_id: UUID

        def apply(self, contact: Contact) -> None:
            contact.lead_ids.append(self.lead_id)

    class LeadMerged(Aggregate.Event):
        """A lead that duplicated this contact was merged into it (the lead's history stays its own)."""

        lead_id: UUID

        def apply(self, contact: Contact) -> None:
            contact.lead_ids.append(self.lead_id)

    def __init__(self) -> None:
        self.account_id: UUID | None = None
        self.name = ""
        self.email: str | None = None
        self.phone: str | None = None
        self.job_title: str | None = None
        self.lead_ids: list[UUID] = []

    @classmethod
    def register(
        cls,
        *,
        account_id: UUID,
        name: str,
        email: str | None,
        phone: str | None,
        job_title: str | None,
        meta: EventMeta,
        contact_id: UUID,
    ) -> Contact:
        return cls._create(
            cls.Registered,
            id=contact_id,
            account_id=account_id,
            name=name,
            email=email,
            phone=phone,
            job_title=job_title,
            meta=meta,
        )

    def link_lead(self, *, lead_id: UUID, meta: EventMeta) -> None:
        self.trigger_event(self.LeadLinked, lead_id=lead_id, meta=meta)

    def absorb_lead(self, *, lead_id: UUID, meta: EventMeta) -> None:
        self.trigger_event(self.LeadMerged, lead_id=lead_id, meta=meta)


class Opportunity(Aggregate):
    class Opened(Aggregate.Created):
        lead_id: UUID
        account_id: UUID
        contact_id: UUID
        terms: OpportunityTerms

        def apply(self, opportunity: Opportunity) -> None:
            opportunity.lead_id = self.lead_id
            opportunity.account_id = self.account_id
            opportunity.contact_id = self.contact_id
            opportunity.terms = self.terms

    def __init__(self) -> None:
        self.lead_id: UUID | None = None
        self.account_id: UUID | None = None
        self.contact_id: UUID | None = None
        self.terms: OpportunityTerms | None = None

    @classmethod
    def open(
        cls,
        *,
        lead_id: UUID,
        account_id: UUID,
        contact_id: UUID,
        terms: OpportunityTerms,
        meta: EventMeta,
        opportunity_id: UUID,
    ) -> Opportunity:
        return cls._create(
            cls.Opened,
            id=opportunity_id,
            lead_id=lead_id,
            account_id=account_id,
            contact_id=contact_id,
            terms=terms,
            meta=meta,
        )
