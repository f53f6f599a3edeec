"""The Lead's events of working it: contact, activities, tasks and reminders, notes,
attachments and followers. Part of the contract in ``domain.lead_events`` (see its rules);
each keeps the stored topic it was first recorded under there (``TOPIC``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from pydantic import Field

from domain.base import Aggregate
from domain.lead_personal import activity_personal
from domain.lead_state import LeadState as Lead
from domain.limits import Name, ShortText
from domain.records import (
    Activity,
    Attachment,
    Note,
    Task,
)
from domain.values import ERASED


class Contacted(Aggregate.Event):
    """Contact was made; a New lead becomes Contacted and the response-time clock stops."""

    TOPIC: ClassVar[str] = "domain.lead_events:Contacted"

    via: ShortText = Field(description="call, email, meeting, chat...")

    def apply(self, lead: Lead) -> None:
        if lead.first_contacted_at is None:
            lead.first_contacted_at = self.timestamp
        lead.move(self.type_name())


class ActivityLogged(Aggregate.Event):
    TOPIC: ClassVar[str] = "domain.lead_events:ActivityLogged"

    personal_data: ClassVar[dict[str, Any]] = activity_personal("activity")

    activity: Activity

    def apply(self, lead: Lead) -> None:
        lead.activities.append(self.activity)


class TaskScheduled(Aggregate.Event):
    """A task on the lead for its assignee, due at a time, with an optional reminder."""

    TOPIC: ClassVar[str] = "domain.lead_events:TaskScheduled"

    personal_data: ClassVar[dict[str, Any]] = {"task.subject": ERASED}

    task: Task

    def apply(self, lead: Lead) -> None:
        lead.tasks[self.task.task_id] = self.task


class ReminderFired(Aggregate.Event):
    """The task's reminder went off: its assignee is notified. Recorded once per task (the
    scheduler's save loses the race to any other that recorded it first)."""

    TOPIC: ClassVar[str] = "domain.lead_events:ReminderFired"

    task_id: UUID
    assignee: Name
    due_at: datetime

    def apply(self, lead: Lead) -> None:
        lead.reminded.add(self.task_id)


class TaskCompleted(Aggregate.Event):
    TOPIC: ClassVar[str] = "domain.lead_events:TaskCompleted"

    task_id: UUID

    def apply(self, lead: Lead) -> None:
        lead.tasks_done.add(self.task_id)


class NoteAdded(Aggregate.Event):
    TOPIC: ClassVar[str] = "domain.lead_events:NoteAdded"

    personal_data: ClassVar[dict[str, Any]] = {"note.text": ERASED}

    note: Note

    def apply(self, lead: Lead) -> None:
        lead.notes.append(self.note)


class AttachmentAdded(Aggregate.Event):
    TOPIC: ClassVar[str] = "domain.lead_events:AttachmentAdded"

    personal_data: ClassVar[dict[str, Any]] = {"attachment.name": ERASED}

    attachment: Attachment

    def apply(self, lead: Lead) -> None:
        lead.attachments.append(self.attachment)


class Followed(Aggregate.Event):
    TOPIC: ClassVar[str] = "domain.lead_events:Followed"

    user: Name

    def apply(self, lead: Lead) -> None:
        lead.followers.add(self.user)


class Unfollowed(Aggregate.Event):
    TOPIC: ClassVar[str] = "domain.lead_events:Unfollowed"

    user: Name

    def apply(self, lead: Lead) -> None:
        lead.followers.discard(self.user)
