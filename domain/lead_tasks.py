"""The lead's tasks: scheduled (by a person, or by an activity's follow-up date), reminded once,
completed. A mixin of :class:`~domain.lead.Lead`, kept apart so each module keeps one job."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain import lead_events as ev
from domain.errors import InvalidCommand, NotFound, ReminderAlreadyFired
from domain.lead_state import LeadState
from domain.lifecycle import LeadCommand as C
from domain.records import Task
from domain.values import EventMeta


class LeadTasks(LeadState):
    if TYPE_CHECKING:

        def check_allowed(self, command: C) -> None: ...

        def trigger_event(self, event_class: Any, **kwargs: Any) -> None: ...

    def schedule_task(self, *, task: Task, meta: EventMeta) -> None:
        self.check_allowed(C.SCHEDULE_TASK)
        if task.task_id in self.tasks:
            raise InvalidCommand(f"task {task.task_id} is already scheduled", field="task_id")
        if task.remind_at is not None and task.remind_at > task.due_at:
            raise InvalidCommand("the reminder must not come after the due time", field="remind_at")
        self.trigger_event(ev.TaskScheduled, task=task, meta=meta)

    def check_reminder_due(self, task_id: UUID, now: datetime) -> Task:
        """The task whose reminder may fire now: scheduled, not done, not fired yet, and due."""
        task = self.tasks.get(task_id)
        if task is None or task.remind_at is None:
            raise NotFound("reminder of task", task_id)
        if task_id in self.reminded:
            raise ReminderAlreadyFired(task_id)
        if task_id in self.tasks_done:
            raise InvalidCommand(f"task {task_id} is done", field="task_id")
        if task.remind_at > now:
            raise InvalidCommand(f"the reminder is due at {task.remind_at.isoformat()}", field="remind_at")
        return task

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
