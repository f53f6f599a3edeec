"""What other services may publish to ``<prefix>lead-intake``: one message model per command.

Messages are CloudEvents in Kafka binary mode. ``ce_type`` names the command
(``lead.intake.capture.v1``...); ``ce_id`` is the idempotency key, so a redelivered or
duplicated message has one effect; ``ce_source`` is recorded as the actor.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain.limits import LongText, Name, ShortText
from domain.values import DisqualifyReason, LeadDetails, SignalKind


class IntakeMessage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CaptureLead(LeadDetails):
    """A lead captured elsewhere (web form, partner, marketing tool)."""

    lead_id: UUID | None = Field(default=None, description="Optional: choose the new lead's id")


class OnLead(IntakeMessage):
    lead_id: UUID


class RecordSignal(OnLead):
    kind: SignalKind
    detail: LongText | None = None
    occurred_at: AwareDatetime | None = Field(
        default=None, description="With its timezone offset; defaults to the message's ce_time"
    )


class AssignLead(OnLead):
    owner: Name = Field(min_length=1)


class ContactLead(OnLead):
    via: ShortText = Field(min_length=1)


class NurtureLead(OnLead):
    reason: LongText | None = None
    follow_up_on: date | None = None


class DisqualifyLead(OnLead):
    reason: DisqualifyReason
    text: LongText | None = None


MESSAGES: dict[str, type[BaseModel]] = {
    "capture": CaptureLead,
    "signal": RecordSignal,
    "assign": AssignLead,
    "contact": ContactLead,
    "qualify": OnLead,
    "nurture": NurtureLead,
    "disqualify": DisqualifyLead,
    "reopen": OnLead,
}
"""Each intake command's message model."""


def intake_type(command: str) -> str:
    return f"lead.intake.{command}.v1"


INTAKE_TYPES: dict[str, str] = {intake_type(c): c for c in MESSAGES}
