"""The daily work on an account or an opportunity, as on a lead: tasks (with an assignee, a due
time and a reminder that fires once) and followers.

The events are declared here once and subclassed inside :class:`~domain.customers.Account`
and :class:`~domain.customers.Opportunity`, so each record's events carry its own type
(``account.task_scheduled.v1``, ``opportunity.followed.v1``) while their payloads are the same
as the lead's ``task_scheduled``, ``reminder_fired``, ``task_completed``, ``followed`` and
``unfollowed``: one reader (the tasks and feeds read models, the reminder scheduler) for all.
The guards are the lead's own (:func:`check_new_task`, :func:`check_reminder_due`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from domain.base import Aggregate
from domain.errors import InvalidCommand, NotFound, ReminderAlreadyFired
from domain.limits import Name
from domain.records import Task
from domain.values import ERASED, EventMeta


def check_new_task(tasks: dict[UUID, Task], task: Task) -> None:
    if task.task_id in tasks:
        raise InvalidCommand(f"task {task.task_id} is already scheduled", field="task_id")
    if task.remind_at is not None and task.remind_at > task.due_at:
        raise InvalidCommand("the reminder must not come after the due time", field="remind_at")


def check_reminder_due(
    *, tasks: dict[UUID, Task], reminded: set[UUID], done: set[UUID], task_id: UUID, now: datetime
) -> Task:
    """The task whose reminder may fire now: scheduled, not done, not fired yet, and due."""
    task = tasks.get(task_id)
    if task is None or task.remind_at is None:
        raise NotFound("reminder of task", task_id)
    if task_id in reminded:
        raise ReminderAlreadyFired(task_id)
    if task_id in done:
        raise InvalidCommand(f"task {task_id} is done", field="task_id")
    if task.remind_at > now:
        raise InvalidCommand(f"the reminder is due at {task.remind_at.isoformat()}", field="remind_at")
    return task


class TaskScheduled(Aggregate.Event):
    """A task on the record for its assignee, due at a time, with an optional reminder."""

    personal_data: ClassVar[dict[str, Any]] = {"task.subject": ERASED}

    task: Task

    def apply(self, record: RecordWork) -> None:
        record.tasks[self.task.task_id] = self.task


class ReminderFired(Aggregate.Event):
    """The task's reminder went off: its assignee is notified. Recorded once per task."""

    task_id: UUID
    assignee: Name
    due_at: datetime

    def apply(self, record: RecordWork) -> None:
        record.reminded.add(self.task_id)


class TaskCompleted(Aggregate.Event):
    task_id: UUID

    def apply(self, record: RecordWork) -> None:
        record.tasks_done.add(self.task_id)


class Followed(Aggregate.Event):
    """Someone follows the record: its changes reach their home feed and notifications."""

    user: Name

    def apply(self, record: RecordWork) -> None:
        record.followers.add(self.user)


class Unfollowed(Aggregate.Event):
    user: Name

    def apply(self, record: RecordWork) -> None:
        record.followers.discard(self.user)


class RecordWork(Aggregate):
    """Tasks and followers of an account or opportunity; the subclass names the events."""

    TaskScheduled: ClassVar[type[TaskScheduled]]
    ReminderFired: ClassVar[type[ReminderFired]]
    TaskCompleted: ClassVar[type[TaskCompleted]]
    Followed: ClassVar[type[Followed]]
    Unfollowed: ClassVar[type[Unfollowed]]

    def __init__(self) -> None:
        self.tasks: dict[UUID, Task] = {}
        self.reminded: set[UUID] = set()
        self.tasks_done: set[UUID] = set()
        self.followers: set[str] = set()

    def schedule_task(self, *, task: Task, meta: EventMeta) -> None:
        check_new_task(self.tasks, task)
        self.trigger_event(self.TaskScheduled, task=task, meta=meta)

    def fire_reminder(self, *, task_id: UUID, now: datetime, meta: EventMeta) -> None:
        task = check_reminder_due(
            tasks=self.tasks, reminded=self.reminded, done=self.tasks_done, task_id=task_id, now=now
        )
        self.trigger_event(self.ReminderFired, task_id=task_id, assignee=task.assignee, due_at=task.due_at, meta=meta)

    def complete_task(self, *, task_id: UUID, meta: EventMeta) -> None:
        if task_id not in self.tasks:
            raise InvalidCommand(f"the record has no task {task_id}", field="task_id")
        if task_id not in self.tasks_done:
            self.trigger_event(self.TaskCompleted, task_id=task_id, meta=meta)

    def follow(self, *, user: str, meta: EventMeta) -> None:
        if user not in self.followers:
            self.trigger_event(self.Followed, user=user, meta=meta)

    def unfollow(self, *, user: str, meta: EventMeta) -> None:
        if user in self.followers:
            self.trigger_event(self.Unfollowed, user=user, meta=meta)
