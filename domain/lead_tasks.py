"""The lead's tasks: scheduled (by a person, or by an activity's follow-up date), reminded once,
completed. A mixin of :class:`~domain.lead.Lead`, kept apart so each module keeps one job."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain import lead_events as ev
from domain.errors import InvalidCommand
from domain.lead_state import LeadState
from domain.lifecycle import LeadCommand as C
from domain.record_work import check_new_task, check_reminder_due
from domain.records import Task
from domain.values import EventMeta


class LeadTasks(LeadState):
    if TYPE_CHECKING:

        def check_allowed(self, command: C) -> None: ...

        def trigger_event(self, event_class: Any, **kwargs: Any) -> None: ...

    def schedule_task(self, *, task: Task, meta: EventMeta) -> None:
        self.check_allowed(C.SCHEDULE_TASK)
        check_new_task(self.tasks, task)
        self.trigger_event(ev.TaskScheduled, task=task, meta=meta)

    def check_reminder_due(self, task_id: UUID, now: datetime) -> Task:
        """The task whose reminder may fire now: scheduled, not done, not fired yet, and due."""
        return check_reminder_due(
            tasks=self.tasks, reminded=self.reminded, done=self.tasks_done, task_id=task_id, now=now
        )

    def fire_reminder(self, *, task_id: UUID, now: datetime, meta: EventMeta) -> None:
        self.check_allowed(C.FIRE_REMINDER)
        task = self.check_reminder_due(task_id, now)
        self.trigger_event(ev.ReminderFired, task_id=task_id, assignee=task.assignee, due_at=task.due_at, meta=meta)

    def complete_task(self, *, task_id: UUID, meta: EventMeta) -> None:
        self.check_allowed(C.COMPLETE_TASK)
        if task_id not in self.tasks:
            raise InvalidCommand(f"the lead has no task {task_id}", field="task_id")
        if task_id not in self.tasks_done:
            self.trigger_event(ev.TaskCompleted, task_id=task_id, meta=meta)
