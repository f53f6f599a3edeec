"""Child records of a lead (activities, notes, attachments) and the conversion links.

They live inside the lead's state and travel inside events, so a merge can re-link them to the
master by carrying them in the master's ``DuplicateAbsorbed`` event.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import Field

from domain import limits
from domain.limits import LongText, Name
from domain.picklists import ActivityKind, SignalKind
from domain.values import Frozen, NonBlankLong, NonBlankShort


class Activity(Frozen):
    activity_id: UUID
    kind: ActivityKind
    subject: NonBlankShort
    outcome: LongText | None = None
    next_step: LongText | None = None
    due_at: datetime | None = None
    remind_at: datetime | None = None
    logged_by: Name
    logged_at: datetime


class Note(Frozen):
    note_id: UUID
    text: NonBlankLong
    author: Name
    added_at: datetime


class Attachment(Frozen):
    """Metadata of a file; the content is stored once elsewhere, addressed by its SHA-256."""

    attachment_id: UUID
    name: NonBlankShort
    media_type: str = Field(pattern=r"^[\w.+-]+/[\w.+-]+$", max_length=127)
    size: int = Field(ge=0)
    content_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    added_by: Name
    added_at: datetime


def new_attachment_name(uploaded: str | None) -> str:
    """The name an uploaded file is kept under: its base name, without control characters,
    cut to the text limit (file names come from anyone's browser)."""
    base = (uploaded or "").replace("\\", "/").rsplit("/", 1)[-1]
    clean = "".join(c for c in base if c.isprintable()).strip()
    return clean[: limits.current().short_text] or "unnamed"


class Signal(Frozen):
    """An engagement signal: what happened, where (URL, campaign, asset), and when."""

    kind: SignalKind
    detail: LongText | None = None
    occurred_at: datetime


class ScoreBreakdown(Frozen):
    """A rule-based score: demographic 0-40, behavioral 0-40, firmographic 0-20."""

    demographic: int = Field(ge=0, le=40)
    behavioral: int = Field(ge=0, le=40)
    firmographic: int = Field(ge=0, le=20)

    @property
    def total(self) -> int:
        return self.demographic + self.behavioral + self.firmographic


class OpportunityTerms(Frozen):
    """What the rep enters when converting a lead into an opportunity."""

    name: NonBlankShort
    deal_value: Decimal = Field(ge=0, le=Decimal("1e15"), max_digits=20, decimal_places=2)
    expected_close: date
    stage: NonBlankShort = "prospecting"
    probability: int = Field(ge=0, le=100)


class ConversionLinks(Frozen):
    opportunity_id: UUID | None = None
    account_id: UUID
    contact_id: UUID
    created_account: bool
    created_contact: bool


class DuplicateSuspect(Frozen):
    """An existing lead or contact a new lead looks like, and by which rules of the policy."""

    record_id: UUID
    kind: Literal["lead", "contact"]
    matched_on: tuple[Literal["email", "phone", "name_and_company"], ...]


class Task(Frozen):
    """Something to do on a lead by a time, with a reminder sent to its assignee at ``remind_at``."""

    task_id: UUID
    subject: NonBlankShort
    assignee: Name
    due_at: datetime
    remind_at: datetime | None = None
    created_by: Name
    from_activity: UUID | None = None
    """The activity whose follow-up date made it, if one did."""
