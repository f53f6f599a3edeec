"""Accounts and opportunities carry the daily work of a lead: tasks with an assignee, a due time
and a reminder that fires once and only when due; completing one stops its reminder; followers.
Their events are published under the record's own type, with the lead's payloads."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from domain.contract.envelope import envelope_of
from domain.customers import Account, Opportunity
from domain.errors import InvalidCommand, NotFound, ReminderAlreadyFired
from domain.service import LeadService
from tests.unit.test_conversion_rules import qualified
from tests.unit.test_service import TERMS, meta
from tests.unit.test_tasks_and_reminders import NOW, SCHEDULER, task


def converted(service: LeadService) -> dict[str, UUID]:
    created = service.convert(lead_id=qualified(service), terms=TERMS, meta=meta()).created
    return {k: UUID(str(v)) for k, v in created.items()}


@pytest.mark.parametrize("kind", ["account", "opportunity"])
def test_a_records_reminder_fires_once_when_due_and_never_again(service: LeadService, kind: str) -> None:
    record = converted(service)[f"{kind}_id"]
    t = task()
    service.schedule_record_task(kind=kind, record_id=record, task=t, meta=meta())
    with pytest.raises(InvalidCommand, match="due at"):
        service.fire_record_reminder(
            kind=kind, record_id=record, task_id=t.task_id, now=NOW - timedelta(seconds=1), meta=SCHEDULER
        )
    service.fire_record_reminder(kind=kind, record_id=record, task_id=t.task_id, now=NOW, meta=SCHEDULER)
    with pytest.raises(ReminderAlreadyFired):
        service.fire_record_reminder(kind=kind, record_id=record, task_id=t.task_id, now=NOW, meta=SCHEDULER)
    types = [envelope_of(e).type for e in service.customer_history(kind, record)]
    assert types[-2:] == [f"{kind}.task_scheduled.v1", f"{kind}.reminder_fired.v1"]


def test_a_completed_task_on_an_account_reminds_no_one(service: LeadService) -> None:
    account = converted(service)["account_id"]
    t = task()
    service.schedule_record_task(kind="account", record_id=account, task=t, meta=meta())
    service.complete_record_task(kind="account", record_id=account, task_id=t.task_id, meta=meta())
    service.complete_record_task(kind="account", record_id=account, task_id=t.task_id, meta=meta())  # no-op
    with pytest.raises(InvalidCommand, match="done"):
        service.fire_record_reminder(kind="account", record_id=account, task_id=t.task_id, now=NOW, meta=SCHEDULER)
    assert len([e for e in service.customer_history("account", account) if isinstance(e, Account.TaskCompleted)]) == 1


def test_a_reminder_after_the_due_time_an_unknown_task_or_record_is_refused(service: LeadService) -> None:
    opportunity = converted(service)["opportunity_id"]
    late = task(remind_at=NOW + timedelta(days=1))
    with pytest.raises(InvalidCommand) as refused:
        service.schedule_record_task(kind="opportunity", record_id=opportunity, task=late, meta=meta())
    assert refused.value.field == "remind_at"
    with pytest.raises(InvalidCommand) as unknown:
        service.complete_record_task(kind="opportunity", record_id=opportunity, task_id=uuid4(), meta=meta())
    assert unknown.value.field == "task_id"
    with pytest.raises(NotFound):
        service.fire_record_reminder(
            kind="opportunity", record_id=opportunity, task_id=uuid4(), now=NOW, meta=SCHEDULER
        )
    with pytest.raises(NotFound):
        service.schedule_record_task(kind="account", record_id=opportunity, task=task(), meta=meta())


def test_the_same_task_is_scheduled_once(service: LeadService) -> None:
    account = converted(service)["account_id"]
    t = task()
    service.schedule_record_task(kind="account", record_id=account, task=t, meta=meta())
    with pytest.raises(InvalidCommand, match="already scheduled"):
        service.schedule_record_task(kind="account", record_id=account, task=t, meta=meta())


def test_following_an_opportunity_twice_records_once_and_followers_are_in_its_scope(service: LeadService) -> None:
    opportunity = converted(service)["opportunity_id"]
    service.follow_record(kind="opportunity", record_id=opportunity, user="watcher", meta=meta())
    service.follow_record(kind="opportunity", record_id=opportunity, user="watcher", meta=meta())
    assert "watcher" in service.customer_users("opportunity", opportunity)
    service.unfollow_record(kind="opportunity", record_id=opportunity, user="watcher", meta=meta())
    service.unfollow_record(kind="opportunity", record_id=opportunity, user="watcher", meta=meta())
    history = service.customer_history("opportunity", opportunity)
    assert len([e for e in history if isinstance(e, Opportunity.Followed)]) == 1
    assert len([e for e in history if isinstance(e, Opportunity.Unfollowed)]) == 1
    assert "watcher" not in service.customer_users("opportunity", opportunity)


def test_a_records_task_publishes_the_payload_a_leads_task_does(service: LeadService) -> None:
    account = converted(service)["account_id"]
    t = task()
    service.schedule_record_task(kind="account", record_id=account, task=t, meta=meta())
    published = envelope_of(service.customer_history("account", account)[-1])
    assert published.stream == "account" and published.name == "task_scheduled"
    assert published.payload["task"]["task_id"] == str(t.task_id)
