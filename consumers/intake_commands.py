"""Which application command each intake message becomes (the messages themselves are the
published contract: ``domain.contract.intake``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from domain.command_handling import CommandResult
from domain.records import Signal
from domain.service import LeadService
from domain.values import EventMeta, LeadDetails

Handler = Callable[[LeadService, Any, EventMeta, datetime], CommandResult]

HANDLERS: dict[str, Handler] = {
    "capture": lambda s, m, meta, _: s.capture_lead(
        details=LeadDetails.model_validate(m.model_dump(exclude={"lead_id"})), meta=meta, lead_id=m.lead_id
    ),
    "signal": lambda s, m, meta, t: s.record_signal(
        lead_id=m.lead_id, signal=Signal(kind=m.kind, detail=m.detail, occurred_at=m.occurred_at or t), meta=meta
    ),
    "assign": lambda s, m, meta, _: s.assign(lead_id=m.lead_id, owner=m.owner, meta=meta),
    "contact": lambda s, m, meta, _: s.contact(lead_id=m.lead_id, via=m.via, meta=meta),
    "qualify": lambda s, m, meta, _: s.qualify(lead_id=m.lead_id, meta=meta),
    "nurture": lambda s, m, meta, _: s.nurture(
        lead_id=m.lead_id, reason=m.reason, follow_up_on=m.follow_up_on, meta=meta
    ),
    "disqualify": lambda s, m, meta, _: s.disqualify(lead_id=m.lead_id, reason=m.reason, text=m.text, meta=meta),
    "reopen": lambda s, m, meta, _: s.reopen(lead_id=m.lead_id, meta=meta),
}
