"""Opportunity, Account and Contact: the customer-master aggregates a conversion creates or
links to. Minimal on purpose; each keeps the links back to the leads it came from. Accounts and
opportunities also carry the daily work of a lead (tasks, reminders, followers:
:mod:`domain.record_work`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, ClassVar, Literal
from uuid import UUID

from pydantic import Field

from domain import record_work as work
from domain.base import Aggregate
from domain.errors import IllegalTransition, InvalidCommand
from domain.record_work import RecordWork
from domain.records import OpportunityTerms
from domain.values import ERASED, Address, EventMeta


class Account(RecordWork):
    class Registered(Aggregate.Created):
        name: str
        industry: str | None = None
        address: Address | None = None

        def apply(self, account: Account) -> None:
            account.name = self.name
            account.industry = self.industry
            account.address = self.address

    class LeadLinked(Aggregate.Event):
        """A lead converted into the account; v2: with no opportunity when the conversion opened none."""

        class_version: ClassVar[int] = 2

        lead_id: UUID
        opportunity_id: UUID | None = None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Nothing to change: every v1 link named its opportunity."""

        def apply(self, account: Account) -> None:
            account.lead_ids.append(self.lead_id)
            if self.opportunity_id is not None:
                account.opportunity_ids.append(self.opportunity_id)

    class LeadMerged(Aggregate.Event):
        """A lead that duplicated one of the account's contacts was merged into that contact."""

        lead_id: UUID
        contact_id: UUID

        def apply(self, account: Account) -> None:
            account.lead_ids.append(self.lead_id)

    class TaskScheduled(work.TaskScheduled):
        """A task on the account for its assignee, due at a time, with an optional reminder."""

    class ReminderFired(work.ReminderFired):
        """The reminder of a task on the account went off; recorded once per task."""

    class TaskCompleted(work.TaskCompleted):
        pass

    class Followed(work.Followed):
        """Someone follows the account: its changes reach their home feed and notifications."""

    class Unfollowed(work.Unfollowed):
        pass

    def __init__(self) -> None:
        super().__init__()
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

    def link_lead(self, *, lead_id: UUID, opportunity_id: UUID | None, meta: EventMeta) -> None:
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


STAGES = (
    "prospecting",
    "qualification",
    "needs_analysis",
    "proposal",
    "negotiation",
    "closed_won",
    "closed_lost",
)
"""An opportunity's stages, in order; the last two close it."""
CLOSED = frozenset({"closed_won", "closed_lost"})


class Opportunity(RecordWork):
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
            opportunity.owner = self.meta.actor

    class StageMoved(Aggregate.Event):
        """To another stage; a close to won or lost sets the probability to 100 or 0 with it."""

        stage: Literal[
            "prospecting", "qualification", "needs_analysis", "proposal", "negotiation", "closed_won", "closed_lost"
        ]
        previous: str

        def apply(self, opportunity: Opportunity) -> None:
            assert opportunity.terms is not None
            update: dict[str, Any] = {"stage": self.stage}
            if self.stage in CLOSED:
                update["probability"] = 100 if self.stage == "closed_won" else 0
            opportunity.terms = opportunity.terms.model_copy(update=update)

    class AmountChanged(Aggregate.Event):
        amount: Decimal = Field(ge=0, le=Decimal("1e15"), max_digits=20, decimal_places=2)
        previous: Decimal

        def apply(self, opportunity: Opportunity) -> None:
            assert opportunity.terms is not None
            opportunity.terms = opportunity.terms.model_copy(update={"deal_value": self.amount})

    class ProbabilityChanged(Aggregate.Event):
        probability: int = Field(ge=0, le=100)
        previous: int

        def apply(self, opportunity: Opportunity) -> None:
            assert opportunity.terms is not None
            opportunity.terms = opportunity.terms.model_copy(update={"probability": self.probability})

    class CloseDateChanged(Aggregate.Event):
        close_date: date
        previous: date

        def apply(self, opportunity: Opportunity) -> None:
            assert opportunity.terms is not None
            opportunity.terms = opportunity.terms.model_copy(update={"expected_close": self.close_date})

    class TaskScheduled(work.TaskScheduled):
        """A task on the opportunity for its assignee, due at a time, with an optional reminder."""

    class ReminderFired(work.ReminderFired):
        """The reminder of a task on the opportunity went off; recorded once per task."""

    class TaskCompleted(work.TaskCompleted):
        pass

    class Followed(work.Followed):
        """Someone follows the opportunity: its changes reach their home feed and notifications."""

    class Unfollowed(work.Unfollowed):
        pass

    def __init__(self) -> None:
        super().__init__()
        self.lead_id: UUID | None = None
        self.account_id: UUID | None = None
        self.contact_id: UUID | None = None
        self.terms: OpportunityTerms | None = None
        self.owner: str | None = None

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

    @property
    def closed(self) -> bool:
        return self.terms is not None and self.terms.stage in CLOSED

    def check_open(self) -> None:
        if self.closed:
            assert self.terms is not None
            raise IllegalTransition(command="change", status=f"opportunity {self.terms.stage}")

    def change(
        self,
        *,
        meta: EventMeta,
        stage: str | None = None,
        amount: Decimal | None = None,
        probability: int | None = None,
        close_date: date | None = None,
    ) -> None:
        """Record each term that differs as its own event; a closed opportunity changes no more."""
        self.check_open()
        terms = self.terms
        assert terms is not None
        if stage is not None and stage not in STAGES:
            raise InvalidCommand(f"unknown stage {stage!r}; stages: {', '.join(STAGES)}", field="stage")
        if amount is not None and amount != terms.deal_value:
            self.trigger_event(self.AmountChanged, amount=amount, previous=terms.deal_value, meta=meta)
        if probability is not None and probability != terms.probability:
            self.trigger_event(self.ProbabilityChanged, probability=probability, previous=terms.probability, meta=meta)
        if close_date is not None and close_date != terms.expected_close:
            self.trigger_event(self.CloseDateChanged, close_date=close_date, previous=terms.expected_close, meta=meta)
        if stage is not None and stage != terms.stage:
            self.trigger_event(self.StageMoved, stage=stage, previous=terms.stage, meta=meta)
