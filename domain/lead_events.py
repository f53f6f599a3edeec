"""The Lead's events: the public contract, past tense, typed. Never change a stored meaning;
add a ``class_version`` and an upcaster instead (see ``Disqualified``). Fields listed in
``personal_data`` are stored and published sealed at the path they had when recorded, so an
upcaster must not move one: add a new field instead.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar
from uuid import UUID

from pydantic import Field

from domain.base import Aggregate
from domain.lead_duplicate_events import (
    DuplicateAbsorbed,
    DuplicateDismissed,
    MarkedDuplicate,
    MergedInto,
    MergedIntoContact,
)
from domain.lead_personal import details_personal
from domain.lead_score_events import LikelihoodEstimated, ScoreAdjusted, Scored, ScoreReclassified, SignalRecorded
from domain.lead_state import LeadState as Lead
from domain.lead_work_events import (
    ActivityLogged,
    AttachmentAdded,
    Contacted,
    Followed,
    NoteAdded,
    ReminderFired,
    TaskCompleted,
    TaskScheduled,
    Unfollowed,
)
from domain.limits import LongText, Name, ShortText
from domain.picklists import ROUTED, BantItem, DisqualifyReason, LeadStatus, Strategy
from domain.records import (
    ConversionLinks,
    OpportunityTerms,
)
from domain.values import ERASED, LeadDetails


class LeadCaptured(Aggregate.Created):
    personal_data: ClassVar[dict[str, Any]] = details_personal("details")

    details: LeadDetails

    def apply(self, lead: Lead) -> None:
        lead.details = self.details
        lead.move(self.type_name())
        lead.captured_by = self.meta.actor


class DetailsUpdated(Aggregate.Event):
    """Only the fields that changed, with their new values."""

    personal_data: ClassVar[dict[str, Any]] = details_personal("changes")

    changes: dict[str, Any]

    def apply(self, lead: Lead) -> None:
        lead.details = lead.details.with_changes(self.changes, trusted=True)


class Assigned(Aggregate.Event):
    """v2 says why: the strategy, and for a rule's choice the rule, its revision and the team.
    Every v1 assignment was made by hand, so it is upcast as ``manual``."""

    class_version: ClassVar[int] = 2

    owner: Name
    previous_owner: Name | None = None
    strategy: Strategy = Strategy.MANUAL
    reason: LongText | None = Field(default=None, description="Why this owner, in words")
    rule_id: Name | None = Field(default=None, description="The assignment rule that chose the owner")
    rule_revision: int | None = Field(default=None, description="The revision of the rule list it belonged to")
    team: Name | None = None
    respond_by: datetime | None = Field(default=None, description="Contact the lead by then (the rule's target)")

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["strategy"] = Strategy.MANUAL.value

    def apply(self, lead: Lead) -> None:
        lead.owner = self.owner
        lead.owned_by_rule = self.strategy in ROUTED
        lead.assigned_by_rule = self.rule_id
        lead.queue = None
        lead.respond_by = self.respond_by
        lead.followers.add(self.owner)


class Queued(Aggregate.Event):
    """No one owns the lead now: it waits in a team's queue for a member to claim it."""

    queue: Name
    previous_owner: Name | None = None
    strategy: Strategy
    reason: LongText | None = None
    rule_id: Name | None = None
    rule_revision: int | None = None

    def apply(self, lead: Lead) -> None:
        lead.owner = None
        lead.owned_by_rule = False
        lead.assigned_by_rule = None
        lead.queue = self.queue
        lead.respond_by = None


class ResponseOverdue(Aggregate.Event):
    """Speed to lead: the owner did not contact the lead by the rule's target. The owner and
    the managers named are told; the rule may route the lead again."""

    owner: Name
    due: datetime
    rule_id: Name | None = None
    managers: tuple[Name, ...] = ()

    def apply(self, lead: Lead) -> None:
        lead.overdue_since = self.due


class BantUpdated(Aggregate.Event):
    """Changed BANT items; an empty value clears an item. What a rep writes about budget or
    authority is about the person, so the values are personal data."""

    personal_data: ClassVar[dict[str, Any]] = {"changes.*": None}

    changes: dict[BantItem, LongText | None]

    def apply(self, lead: Lead) -> None:
        for item, value in self.changes.items():
            if value:
                lead.bant[item] = value
            else:
                lead.bant.pop(item, None)


class Qualified(Aggregate.Event):
    def apply(self, lead: Lead) -> None:
        lead.move(self.type_name())


class Nurtured(Aggregate.Event):
    personal_data: ClassVar[dict[str, Any]] = {"reason": None}

    reason: LongText | None = None
    follow_up_on: date | None = None

    def apply(self, lead: Lead) -> None:
        lead.move(self.type_name())
        lead.status_reason = self.reason


class Disqualified(Aggregate.Event):
    """v2 splits the reason into a code and a text; v1 (free text only) is upcast as ``other``."""

    class_version: ClassVar[int] = 2
    personal_data: ClassVar[dict[str, Any]] = {"reason_text": None}

    reason_code: DisqualifyReason
    reason_text: LongText | None = None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["reason_code"] = DisqualifyReason.OTHER.value
        state["reason_text"] = state.pop("reason", None)

    def apply(self, lead: Lead) -> None:
        lead.move(self.type_name())
        lead.status_reason = self.reason_code.value + (f": {self.reason_text}" if self.reason_text else "")


class Reopened(Aggregate.Event):
    to_status: LeadStatus

    def apply(self, lead: Lead) -> None:
        lead.move(self.type_name(), reopened_to=self.to_status)
        lead.status_reason = None


class Converted(Aggregate.Event):
    """v2: the opportunity is optional (``terms`` and ``links.opportunity_id`` null when the
    lead became only an account and contact); every v1 conversion opened one, unchanged."""

    class_version: ClassVar[int] = 2

    terms: OpportunityTerms | None = None
    links: ConversionLinks

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """Nothing to change: a v1 conversion always has its terms and opportunity."""

    def apply(self, lead: Lead) -> None:
        lead.move(self.type_name())
        lead.conversion = self.links


class AgingAlerted(Aggregate.Event):
    """The lead stayed in its status longer than the threshold allows; its owner is told.
    Changes no state: the alert itself is the fact worth keeping."""

    status: LeadStatus
    days_in_status: int = Field(ge=0)
    threshold_days: int = Field(ge=1)

    def apply(self, lead: Lead) -> None:
        pass


class PersonalDataErased(Aggregate.Event):
    """The lead's personal data was erased on request: its key is destroyed, so the personal
    fields of every earlier event read as erased, and read models forget them. The events
    themselves stay. The lead accepts no further changes."""

    request: ShortText | None = Field(default=None, description="The erasure request's reference, e.g. a ticket id")
    contact_id: UUID | None = Field(default=None, description="The contact its conversion created, erased with it")

    def apply(self, lead: Lead) -> None:
        lead.erased = True


class Archived(Aggregate.Event):
    """The lead was taken out of the default lists (its status stays); undone by ``Unarchived``."""

    personal_data: ClassVar[dict[str, Any]] = {"reason": None}

    reason: LongText | None = None

    def apply(self, lead: Lead) -> None:
        lead.archived = True


class Unarchived(Aggregate.Event):
    """The lead is back in the default lists."""

    def apply(self, lead: Lead) -> None:
        lead.archived = False


class Deleted(Aggregate.Event):
    """An admin deleted the lead (soft): it leaves every list and accepts no further change but
    erasure; its history stays. Erasure, not deletion, is the path for personal data."""

    personal_data: ClassVar[dict[str, Any]] = {"reason": ERASED}

    reason: LongText = Field(min_length=1)

    def apply(self, lead: Lead) -> None:
        lead.deleted = True


LEAD_EVENTS: tuple[type[Aggregate.Event], ...] = (
    LeadCaptured,
    DetailsUpdated,
    Assigned,
    Queued,
    ResponseOverdue,
    Contacted,
    ActivityLogged,
    NoteAdded,
    AttachmentAdded,
    Followed,
    Unfollowed,
    SignalRecorded,
    Scored,
    ScoreReclassified,
    LikelihoodEstimated,
    ScoreAdjusted,
    BantUpdated,
    Qualified,
    Nurtured,
    Disqualified,
    Reopened,
    MarkedDuplicate,
    MergedInto,
    DuplicateAbsorbed,
    Converted,
    DuplicateDismissed,
    MergedIntoContact,
    TaskScheduled,
    ReminderFired,
    TaskCompleted,
    AgingAlerted,
    PersonalDataErased,
    Archived,
    Unarchived,
    Deleted,
)
