"""Tasks on a lead and their reminders: scheduled by a person (or by an activity's follow-up
date), fired once by the reminder scheduler, completed by the assignee.

A reminder fires exactly once because the decision is the lead's own: firing loads the lead,
refuses a reminder already recorded (:class:`~domain.errors.ReminderAlreadyFired`), and saves
with optimistic concurrency, so of two schedulers racing for one reminder one save wins and the
other, retried on the fresh lead, finds it fired."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.command_handling import CommandApplication, CommandResult
from domain.records import Task
from domain.values import EventMeta


class SchedulesTasks(CommandApplication):
    def schedule_task(
        self, *, lead_id: UUID, task: Task, meta: EventMeta, expected_version: int | None = None
    ) -> CommandResult:
        return self._change(
            "schedule_task", lead_id, meta, expected_version, lambda lead: lead.schedule_task(task=task, meta=meta)
        )

    def fire_reminder(self, *, lead_id: UUID, task_id: UUID, now: datetime, meta: EventMeta) -> CommandResult:
        return self._change(
            "fire_reminder", lead_id, meta, None, lambda lead: lead.fire_reminder(task_id=task_id, now=now, meta=meta)
        )

    def complete_task(
        self, *, lead_id: UUID, task_id: UUID, meta: EventMeta, expected_version: int | None = None
    ) -> CommandResult:
        return self._change(
            "complete_task",
            lead_id,
            meta,
            expected_version,
            lambda lead: lead.complete_task(task_id=task_id, meta=meta),
        )
