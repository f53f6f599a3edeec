"""Tasks on a lead: an assignee, a due time, a reminder that fires once and only when due; an
activity's follow-up date makes a task; completing one stops its reminder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.errors import InvalidCommand, NotFound, ReminderAlreadyFired
from domain.lead_events import ReminderFired, TaskScheduled
from domain.picklists import ActivityKind
from domain.records import Activity, Task
from domain.service import LeadService
from domain.values import EventMeta
from tests.unit.test_commands_through_the_service import new
from tests.unit.test_service import meta

NOW = datetime(2027, 1, 1, 9, tzinfo=UTC)
SCHEDULER = EventMeta(actor="system:reminders")


def task(**changes: object) -> Task:
    fields: dict[str, object] = {
        "task_id": uuid4(),
        "subject": "Send the proposal",
        "assignee": "rep-2",
        "due_at": NOW + timedelta(hours=1),
        "remind_at": NOW,
        "created_by": "rep-1",
    }
    return Task.model_validate(fields | changes)


def test_a_reminder_fires_once_when_due_and_never_again(service: LeadService) -> None:
    lead, t = new(service), task()
    service.schedule_task(lead_id=lead, task=t, meta=meta())
    with pytest.raises(InvalidCommand, match="due at"):
        service.fire_reminder(lead_id=lead, task_id=t.task_id, now=NOW - timedelta(seconds=1), meta=SCHEDULER)
    service.fire_reminder(lead_id=lead, task_id=t.task_id, now=NOW, meta=SCHEDULER)
    with pytest.raises(ReminderAlreadyFired):
        service.fire_reminder(lead_id=lead, task_id=t.task_id, now=NOW, meta=SCHEDULER)
    fired = [e for e in service.history(lead) if isinstance(e, ReminderFired)]
    assert [(e.task_id, e.assignee) for e in fired] == [(t.task_id, "rep-2")]


def test_a_scheduler_repeating_its_command_gets_the_first_result_and_records_nothing(service: LeadService) -> None:
    lead, t = new(service), task()
    service.schedule_task(lead_id=lead, task=t, meta=meta())
    once = EventMeta(actor="system:reminders", command_id=f"reminder/{t.task_id}")
    first = service.fire_reminder(lead_id=lead, task_id=t.task_id, now=NOW, meta=once)
    again = service.fire_reminder(lead_id=lead, task_id=t.task_id, now=NOW, meta=once)
    assert (again.version, len(service.history(lead))) == (first.version, first.version)


def test_a_completed_task_is_not_reminded(service: LeadService) -> None:
    lead, t = new(service), task()
    service.schedule_task(lead_id=lead, task=t, meta=meta())
    service.complete_task(lead_id=lead, task_id=t.task_id, meta=meta())
    with pytest.raises(InvalidCommand, match="done"):
        service.fire_reminder(lead_id=lead, task_id=t.task_id, now=NOW, meta=SCHEDULER)


def test_a_reminder_after_the_due_time_or_of_an_unknown_task_is_refused(service: LeadService) -> None:
    lead = new(service)
    with pytest.raises(InvalidCommand) as refused:
        service.schedule_task(lead_id=lead, task=task(remind_at=NOW + timedelta(days=1)), meta=meta())
    assert refused.value.field == "remind_at"
    with pytest.raises(NotFound):
        service.fire_reminder(lead_id=lead, task_id=uuid4(), now=NOW, meta=SCHEDULER)
    with pytest.raises(InvalidCommand):
        service.complete_task(lead_id=lead, task_id=uuid4(), meta=meta())


def test_an_activitys_follow_up_date_schedules_a_task_for_whoever_logged_it(service: LeadService) -> None:
    lead = new(service)
    activity = Activity(
        activity_id=uuid4(),
        kind=ActivityKind.CALL,
        subject="Discovery call",
        next_step="Send pricing",
        due_at=NOW + timedelta(days=2),
        remind_at=NOW + timedelta(days=1),
        logged_by="rep-1",
        logged_at=NOW,
    )
    service.log_activity(lead_id=lead, activity=activity, meta=meta())
    scheduled = [e.task for e in service.history(lead) if isinstance(e, TaskScheduled)]
    assert [(t.subject, t.assignee, t.due_at, t.remind_at, t.from_activity) for t in scheduled] == [
        ("Send pricing", "rep-1", activity.due_at, activity.remind_at, activity.activity_id)
    ]
