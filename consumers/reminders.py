"""The reminder scheduler: every interval, finds task reminders that are due (from the ``tasks``
read model, which may lag) and fires each as a ``ReminderFired`` event on its lead, account or
opportunity, which the feeds projection turns into a notification to the assignee and a feed entry.

Any number of schedulers may run (several engine processes); one may be killed at any instant.
Each reminder still fires once: the record (lead, account, opportunity) refuses a second
firing, optimistic concurrency makes one of two racing saves lose (and its retry finds the
reminder fired), and the command id ``reminder/<task>`` makes a repeat of a save that did commit
return its first result. Each firing is the start of a trace (tracing on), which the reminder's
notification continues."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from consumers.periodic import Periodic
from consumers.tracing import starting, traceparent_of
from domain.errors import DomainError, ReminderAlreadyFired
from domain.picklists import Channel
from domain.service import LeadService
from domain.values import EventMeta
from projections.tasks import Tasks

log = logging.getLogger(__name__)
ACTOR = "system:reminders"


class ReminderScheduler(Periodic):
    name = "reminder-scheduler"

    def __init__(
        self,
        *,
        service: LeadService,
        tasks: Tasks,
        cursor: Callable[[], Any],
        interval_s: float,
        stop: threading.Event,
    ) -> None:
        self.service = service
        self.tasks = tasks
        self.cursor = cursor
        super().__init__(interval_s=interval_s, stop=stop)

    def sweep(self, *, now: datetime) -> int:
        """Fire every due reminder; returns how many this scheduler fired."""
        with self.cursor() as cur:
            due = self.tasks.due_reminders(cur, now=now)
        fired = 0
        for row in due:
            try:
                with starting("reminder", record_id=str(row["record_id"]), task_id=str(row["task_id"])) as reminder:
                    meta = EventMeta(
                        actor=ACTOR,
                        channel=Channel.SYSTEM,
                        command_id=f"reminder/{row['task_id']}",
                        traceparent=traceparent_of(reminder),
                    )
                    if row["record"] == "lead":
                        self.service.fire_reminder(lead_id=row["record_id"], task_id=row["task_id"], now=now, meta=meta)
                    else:
                        self.service.fire_record_reminder(
                            kind=row["record"], record_id=row["record_id"], task_id=row["task_id"], now=now, meta=meta
                        )
                fired += 1
            except ReminderAlreadyFired:
                pass  # another scheduler fired it; the read model had not seen it yet
            except DomainError as e:
                log.info("reminders: task %s not fired: %s", row["task_id"], e)
        return fired
