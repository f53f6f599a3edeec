"""Which application command each intake message becomes (the messages themselves are the
published contract: ``domain.contract.intake``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.command_handling import CommandResult
from domain.contract.intake import CaptureLead
from domain.duplicates import Screen
from domain.records import Signal
from domain.service import LeadService
from domain.values import EventMeta, LeadDetails


@dataclass(frozen=True)
class Context:
    """What a handler gets besides the message: the service, the metadata, the message's time,
    and the duplicate screen (intake never loses a lead: a look-alike is captured and flagged)."""

    service: LeadService
    meta: EventMeta
    time: datetime
    screen: Screen | None


Handler = Callable[[Context, Any], CommandResult]


def details_of(message: CaptureLead) -> LeadDetails:
    """The message's details as the command takes them, without validating them again: a
    :class:`CaptureLead` is :class:`LeadDetails` plus ``lead_id``, read by the same validators
    (phone already normalised). Dumping and validating it a second time cost about a third of
    a capture's pydantic time."""
    names = LeadDetails.model_fields
    return LeadDetails.model_construct(_fields_set=set(names), **{name: getattr(message, name) for name in names})


HANDLERS: dict[str, Handler] = {
    "capture": lambda c, m: c.service.capture_lead(
        details=details_of(m),
        meta=c.meta,
        lead_id=m.lead_id,
        screen=c.screen,
    ),
    "signal": lambda c, m: c.service.record_signal(
        lead_id=m.lead_id, signal=Signal(kind=m.kind, detail=m.detail, occurred_at=m.occurred_at or c.time), meta=c.meta
    ),
    "assign": lambda c, m: c.service.assign(lead_id=m.lead_id, owner=m.owner, meta=c.meta),
    "contact": lambda c, m: c.service.contact(lead_id=m.lead_id, via=m.via, meta=c.meta),
    "qualify": lambda c, m: c.service.qualify(lead_id=m.lead_id, meta=c.meta),
    "nurture": lambda c, m: c.service.nurture(
        lead_id=m.lead_id, reason=m.reason, follow_up_on=m.follow_up_on, meta=c.meta
    ),
    "disqualify": lambda c, m: c.service.disqualify(lead_id=m.lead_id, reason=m.reason, text=m.text, meta=c.meta),
    "reopen": lambda c, m: c.service.reopen(lead_id=m.lead_id, meta=c.meta),
}
