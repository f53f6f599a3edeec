"""The aging monitor: finds open leads that stayed too long in their status and raises an
``AgingAlerted`` event on each, which the feeds projection turns into a notification to the
owner. Each alert is the start of a trace (tracing on), which the alert's notification continues.

It reads the ``aging`` projection (which may lag), so the domain re-checks the status; the
command id ``aging/<lead>/<version the status was entered>`` makes a second alert for the same
stay a no-op, whichever monitor process sends it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from consumers.periodic import Periodic
from consumers.tracing import starting, traceparent_of
from domain.errors import DomainError
from domain.picklists import Channel, LeadStatus
from domain.service import LeadService
from domain.values import EventMeta
from projections.aging import Aging

log = logging.getLogger(__name__)
ACTOR = "system:aging-monitor"


class AgingMonitor(Periodic):
    name = "aging-monitor"

    def __init__(
        self,
        *,
        service: LeadService,
        aging: Aging,
        cursor: Callable[[], Any],
        thresholds: dict[str, int],
        interval_s: float,
        stop: threading.Event,
    ) -> None:
        self.service = service
        self.aging = aging
        self.cursor = cursor
        self.thresholds = thresholds
        super().__init__(interval_s=interval_s, stop=stop)

    def sweep(self, *, now: datetime) -> int:
        """Alert on every overdue lead; returns how many alerts were raised."""
        with self.cursor() as cur:
            overdue = self.aging.overdue(cur, thresholds=self.thresholds, now=now)
        raised = 0
        for row in overdue:
            try:
                with starting("aging alert", lead_id=str(row["lead_id"])) as alert:
                    meta = EventMeta(
                        actor=ACTOR,
                        channel=Channel.SYSTEM,
                        command_id=f"aging/{row['lead_id']}/{row['status_version']}",
                        traceparent=traceparent_of(alert),
                    )
                    self.service.raise_aging_alert(
                        lead_id=row["lead_id"],
                        status=LeadStatus(row["status"]),
                        days_in_status=row["days"],
                        threshold_days=row["threshold_days"],
                        meta=meta,
                    )
                raised += 1
            except DomainError as e:
                log.info("aging: no alert for lead %s: %s", row["lead_id"], e)
        return raised
