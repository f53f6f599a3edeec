"""What other services may publish to ``<prefix>lead-intake``: one message model per command.

Messages are CloudEvents in either mode of the Kafka binding. ``type`` names the command
(``org.leads-engine.lead.intake.capture.v1``...; the short ``lead.intake.capture.v1`` of earlier
releases is still taken, as an alias); ``id`` is the idempotency key, so a redelivered or
duplicated message has one effect; ``source`` is recorded as the actor.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain.contract.type_names import wire_type
from domain.limits import LongText, Name, ShortText
from domain.picklists import DisqualifyReason, SignalKind
from domain.values import LeadDetails


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
    """The command's CloudEvents type: ``org.leads-engine.lead.intake.capture.v1``."""
    return wire_type(alias(command))


def alias(command: str) -> str:
    """The command's type before types carried the reverse-DNS prefix: ``lead.intake.capture.v1``."""
    return f"lead.intake.{command}.v1"


INTAKE_TYPES: dict[str, str] = {intake_type(c): c for c in MESSAGES}
"""The command each intake type names."""
INTAKE_ALIASES: dict[str, str] = {alias(c): c for c in MESSAGES}
"""The command each old type names: still taken, so producers can move to the new types when they like."""


def intake_command(ce_type: str) -> str | None:
    """The command a message of type ``ce_type`` asks for (None: no intake type, old or new)."""
    return INTAKE_TYPES.get(ce_type) or INTAKE_ALIASES.get(ce_type)
