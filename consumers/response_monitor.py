"""The speed-to-lead monitor: finds owned leads not contacted by their rule's target and
escalates each once: a ``ResponseOverdue`` event tells the owner and their managers (through
the feeds projection's notifications), and the rule may route the lead again.

It reads the ``routing`` projection (which may lag), so the domain re-checks the lead; the
command id ``response/<lead>/<target>`` makes a second escalation for the same target a no-op,
whichever monitor process sends it, before or after a restart. Each escalation is the start of
a trace (tracing on), which its notifications continue.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from consumers.periodic import Periodic
from consumers.tracing import starting, traceparent_of
from domain.errors import DomainError
from domain.picklists import Channel
from domain.service import LeadService
from domain.values import EventMeta
from projections.routing import Routing

log = logging.getLogger(__name__)
ACTOR = "system:response-monitor"
BATCH = 500


class ResponseMonitor(Periodic):
    name = "response-monitor"

    def __init__(
        self,
        *,
        service: LeadService,
        routing: Routing,
        cursor: Callable[[], Any],
        interval_s: float,
        stop: threading.Event,
    ) -> None:
        self.service = service
        self.routing = routing
        self.cursor = cursor
        super().__init__(interval_s=interval_s, stop=stop)

    def sweep(self, *, now: datetime) -> int:
        """Escalate every overdue lead; returns how many this sweep escalated (the view may
        still list some escalated a moment ago: those count none)."""
        with self.cursor() as cur:
            overdue = self.routing.overdue(cur, now=now, limit=BATCH)
        escalated = 0
        for row in overdue:
            due: datetime = row["respond_by"]
            try:
                with starting("response escalation", lead_id=str(row["lead_id"])) as escalation:
                    meta = EventMeta(
                        actor=ACTOR,
                        channel=Channel.SYSTEM,
                        command_id=f"response/{row['lead_id']}/{due.astimezone(UTC).isoformat()}",
                        traceparent=traceparent_of(escalation),
                    )
                    escalated += self.service.escalate_overdue(lead_id=row["lead_id"], due=due, meta=meta)
            except DomainError as e:
                log.info("response: no escalation for lead %s: %s", row["lead_id"], e)
        return escalated
