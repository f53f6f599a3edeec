"""The intake contract: what other services may publish to ``<prefix>lead-intake``, and the
service command each message becomes.

Messages are CloudEvents in Kafka binary mode. ``ce_type`` names the command
(``lead.intake.capture.v1``...); ``ce_id`` is the idempotency key, so a redelivered or
duplicated message has one effect; ``ce_source`` is recorded as the actor.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from domain.records import Signal
from domain.service import CommandResult, LeadService
from domain.values import DisqualifyReason, EventMeta, LeadDetails, SignalKind


class IntakeMessage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CaptureLead(LeadDetails):
    """A lead captured elsewhere (web form, partner, marketing tool)."""

    lead_id: UUID | None = Field(default=None, description="Optional: choose the new lead's id")


class OnLead(IntakeMessage):
    lead_id: UUID


class RecordSignal(OnLead):
    kind: SignalKind
    detail: str | None = None
    occurred_at: datetime | None = Field(default=None, description="Defaults to the message's ce_time")


class AssignLead(OnLead):
    owner: str = Field(min_length=1)


class ContactLead(OnLead):
    via: str = Field(min_length=1)


class NurtureLead(OnLead):
    reason: str | None = None
    follow_up_on: date | None = None


class DisqualifyLead(OnLead):
    reason: DisqualifyReason
    text: str | None = None


Handler = Callable[[LeadService, Any, EventMeta, datetime], CommandResult]

COMMANDS: dict[str, tuple[type[BaseModel], Handler]] = {
    "capture": (
        CaptureLead,
        lambda s, m, meta, _: s.capture_lead(
            details=LeadDetails.model_validate(m.model_dump(exclude={"lead_id"})), meta=meta, lead_id=m.lead_id
        ),
    ),
    "signal": (
        RecordSignal,
        lambda s, m, meta, t: s.record_signal(
            lead_id=m.lead_id, signal=Signal(kind=m.kind, detail=m.detail, occurred_at=m.occurred_at or t), meta=meta
        ),
    ),
    "assign": (AssignLead, lambda s, m, meta, _: s.assign(lead_id=m.lead_id, owner=m.owner, meta=meta)),
    "contact": (ContactLead, lambda s, m, meta, _: s.contact(lead_id=m.lead_id, via=m.via, meta=meta)),
    "qualify": (OnLead, lambda s, m, meta, _: s.qualify(lead_id=m.lead_id, meta=meta)),
    "nurture": (
        NurtureLead,
        lambda s, m, meta, _: s.nurture(lead_id=m.lead_id, reason=m.reason, follow_up_on=m.follow_up_on, meta=meta),
    ),
    "disqualify": (
        DisqualifyLead,
        lambda s, m, meta, _: s.disqualify(lead_id=m.lead_id, reason=m.reason, text=m.text, meta=meta),
    ),
    "reopen": (OnLead, lambda s, m, meta, _: s.reopen(lead_id=m.lead_id, meta=meta)),
}


def intake_type(command: str) -> str:
    return f"lead.intake.{command}.v1"


INTAKE_TYPES: dict[str, str] = {intake_type(c): c for c in COMMANDS}
