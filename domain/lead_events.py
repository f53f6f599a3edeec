"""The Lead's events: the public contract, past tense, typed. Never change a stored meaning;
add a ``class_version`` and an upcaster instead (see ``Disqualified``). Fields listed in
``personal_data`` are stored and published sealed at the path they had when recorded, so an
upcaster must not move one: add a new field instead.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar, Literal
from uuid import UUID

from pydantic import Field

from domain.base import Aggregate
from domain.lead_state import LeadState as Lead
from domain.likelihood import Factor
from domain.limits import LongText, Name, ShortText
from domain.records import (
    Activity,
    Attachment,
    ConversionLinks,
    DuplicateSuspect,
    Note,
    OpportunityTerms,
    ScoreBreakdown,
    Signal,
    Task,
)
from domain.score_values import Bands, Contribution, Grade, ScoreCause, Stage
from domain.values import ERASED, ROUTED, BantItem, DisqualifyReason, LeadDetails, LeadStatus, Strategy, Temperature


def details_personal(prefix: str) -> dict[str, Any]:
    """The personal fields of lead details (or of a dict of changed details) under ``prefix``:
    who the person is and how to reach them. Company, industry, country and region stay
    readable, so reports keep counting an erased lead."""
    return {
        f"{prefix}.contact_name": ERASED,
        f"{prefix}.email": None,
        f"{prefix}.phone": None,
        f"{prefix}.job_title": None,
        f"{prefix}.custom_fields": {},
        f"{prefix}.address.street": None,
        f"{prefix}.address.city": None,
        f"{prefix}.address.postal_code": None,
    }


def activity_personal(prefix: str) -> dict[str, Any]:
    return {f"{prefix}.subject": ERASED, f"{prefix}.outcome": None, f"{prefix}.next_step": None}


def whole_lead_personal(details: str) -> dict[str, Any]:
    """A whole lead's personal fields: its details under ``details``, and its activities,
    notes and attachments (as a merge carries them, and as a lead's document holds them)."""
    return {
        **details_personal(details),
        **activity_personal("activities[*]"),
        "notes[*].text": ERASED,
        "attachments[*].name": ERASED,
    }


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


class Contacted(Aggregate.Event):
    """Contact was made; a New lead becomes Contacted and the response-time clock stops."""

    via: ShortText = Field(description="call, email, meeting, chat...")

    def apply(self, lead: Lead) -> None:
        if lead.first_contacted_at is None:
            lead.first_contacted_at = self.timestamp
        lead.move(self.type_name())


class ActivityLogged(Aggregate.Event):
    personal_data: ClassVar[dict[str, Any]] = activity_personal("activity")

    activity: Activity

    def apply(self, lead: Lead) -> None:
        lead.activities.append(self.activity)


class TaskScheduled(Aggregate.Event):
    """A task on the lead for its assignee, due at a time, with an optional reminder."""

    personal_data: ClassVar[dict[str, Any]] = {"task.subject": ERASED}

    task: Task

    def apply(self, lead: Lead) -> None:
        lead.tasks[self.task.task_id] = self.task


class ReminderFired(Aggregate.Event):
    """The task's reminder went off: its assignee is notified. Recorded once per task (the
    scheduler's save loses the race to any other that recorded it first)."""

    task_id: UUID
    assignee: Name
    due_at: datetime

    def apply(self, lead: Lead) -> None:
        lead.reminded.add(self.task_id)


class TaskCompleted(Aggregate.Event):
    task_id: UUID

    def apply(self, lead: Lead) -> None:
        lead.tasks_done.add(self.task_id)


class NoteAdded(Aggregate.Event):
    personal_data: ClassVar[dict[str, Any]] = {"note.text": ERASED}

    note: Note

    def apply(self, lead: Lead) -> None:
        lead.notes.append(self.note)


class AttachmentAdded(Aggregate.Event):
    personal_data: ClassVar[dict[str, Any]] = {"attachment.name": ERASED}

    attachment: Attachment

    def apply(self, lead: Lead) -> None:
        lead.attachments.append(self.attachment)


class Followed(Aggregate.Event):
    user: Name

    def apply(self, lead: Lead) -> None:
        lead.followers.add(self.user)


class Unfollowed(Aggregate.Event):
    user: Name

    def apply(self, lead: Lead) -> None:
        lead.followers.discard(self.user)


class SignalRecorded(Aggregate.Event):
    personal_data: ClassVar[dict[str, Any]] = {"signal.detail": None}

    signal: Signal

    def apply(self, lead: Lead) -> None:
        lead.signals.append(self.signal)


class Scored(Aggregate.Event):
    """v2 explains the score: the grade (fit), the scoring model's version, each criterion's
    contribution, the cause of the move, and the model's bands and MQL threshold (what the
    score means). A v1 score came from outside, under rules named by ``rule_version``: it is
    upcast with the cause ``model`` and nothing else known."""

    class_version: ClassVar[int] = 2

    breakdown: ScoreBreakdown
    rule_version: str
    grade: Grade | None = Field(default=None, description="Fit to the ideal customer profile, A to F")
    model_version: int | None = Field(default=None, ge=1, description="The published scoring model that scored")
    contributions: tuple[Contribution, ...] = Field(default=(), description="Criterion → points, before caps")
    cause: ScoreCause = ScoreCause.MODEL
    bands: Bands | None = None
    mql_threshold: int | None = Field(default=None, ge=1, le=100)

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["cause"] = ScoreCause.MODEL.value

    def apply(self, lead: Lead) -> None:
        lead.score_breakdown = self.breakdown
        lead.score_rule_version = self.rule_version
        lead.grade = self.grade
        lead.score_model_version = self.model_version
        lead.contributions = self.contributions
        lead.bands = self.bands or lead.bands
        lead.mql_threshold = self.mql_threshold or lead.mql_threshold


class ScoreReclassified(Aggregate.Event):
    """A published scoring model changed what this lead's score means, not the score: its
    temperature bands or MQL threshold put the same score in another temperature or stage.
    Recorded once, by the re-scoring that follows the publication (or by the lead's next save,
    if that comes first), and only when the temperature or the stage it shows changes; a lead
    whose score moves gets a ``Scored`` instead, which carries the new bands itself.
    ``temperature`` and ``stage`` are what the lead shows from then on (the stage as of its
    status then)."""

    model_version: int = Field(ge=1, description="The published scoring model whose bands apply")
    bands: Bands
    mql_threshold: int = Field(ge=1, le=100)
    temperature: Temperature
    stage: Stage | None = Field(default=None, description="None for a lead that ended (merged)")

    def apply(self, lead: Lead) -> None:
        lead.bands = self.bands
        lead.mql_threshold = self.mql_threshold
        lead.score_model_version = self.model_version


class LikelihoodEstimated(Aggregate.Event):
    """The active learned model's likelihood that the lead converts (per cent, strictly inside
    0..100) and the factors behind it; recorded when it changes."""

    probability: float = Field(gt=0, lt=100)
    model_version: int = Field(ge=1)
    factors: tuple[Factor, ...] = ()

    def apply(self, lead: Lead) -> None:
        lead.likelihood = self.probability
        lead.likelihood_model_version = self.model_version
        lead.likelihood_factors = self.factors


class ScoreAdjusted(Aggregate.Event):
    """A rep's manual adjustment of the score as shown: the shown score moves by ``points``
    within 0-100, and the adjustment is kept as an offset over later rule-based scores."""

    personal_data: ClassVar[dict[str, Any]] = {"reason": ERASED}

    points: int = Field(ge=-100, le=100)
    reason: LongText

    def apply(self, lead: Lead) -> None:
        lead.score_adjustment = max(0, min(100, lead.score + self.points)) - lead.rule_score


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


class MarkedDuplicate(Aggregate.Event):
    """Flagged as a possible duplicate for a person to decide (merge, or not a duplicate).
    v2 may point at a contact as well as a lead (``of_kind``) and lists every look-alike found;
    v1 always pointed at a lead."""

    class_version: ClassVar[int] = 2

    of_id: UUID = Field(description="The lead or contact it most likely duplicates")
    of_kind: Literal["lead", "contact"] = "lead"
    matched_on: ShortText
    candidates: tuple[DuplicateSuspect, ...] = Field(default=(), description="Every look-alike found, best first")

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["of_id"] = state.pop("of_lead_id")
        state["of_kind"] = "lead"

    def apply(self, lead: Lead) -> None:
        lead.duplicate_of = self.of_id
        lead.duplicate_of_kind = self.of_kind


class DuplicateDismissed(Aggregate.Event):
    """A person decided it is not a duplicate of that lead or contact: the pair is never flagged again."""

    of_id: UUID
    of_kind: Literal["lead", "contact"] = "lead"

    def apply(self, lead: Lead) -> None:
        lead.distinct_from.add(self.of_id)
        if lead.duplicate_of == self.of_id:
            lead.duplicate_of = None
            lead.duplicate_of_kind = None


class MergedIntoContact(Aggregate.Event):
    """A duplicate of a customer-master contact, merged into it: archived as Merged, linked to
    the contact and its account (whose histories record the merge too)."""

    contact_id: UUID
    account_id: UUID | None = None

    def apply(self, lead: Lead) -> None:
        lead.move(self.type_name())
        lead.merged_into = self.contact_id


class MergedInto(Aggregate.Event):
    """On the duplicate: archived as Merged, pointing at its master."""

    master_id: UUID

    def apply(self, lead: Lead) -> None:
        lead.move(self.type_name())
        lead.merged_into = self.master_id


class DuplicateAbsorbed(Aggregate.Event):
    """On the master: which lead, which of its fields won, and the children re-linked here.
    What it carries over becomes the master's: erasing the master erases it."""

    personal_data: ClassVar[dict[str, Any]] = whole_lead_personal("fields_taken")

    duplicate_id: UUID
    fields_taken: dict[str, Any]
    activities: tuple[Activity, ...] = ()
    notes: tuple[Note, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    followers: tuple[str, ...] = ()

    def apply(self, lead: Lead) -> None:
        lead.details = lead.details.with_changes(self.fields_taken, trusted=True)
        lead.activities.extend(self.activities)
        lead.notes.extend(self.notes)
        lead.attachments.extend(self.attachments)
        lead.followers.update(self.followers)
        lead.absorbed.append(self.duplicate_id)


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
