"""Reminders set 2 s ahead fire exactly once each, as one event on the lead, account or
opportunity and one notification to the assignee, while two reminder scheduler processes run
against the same stores and one of them is killed with SIGKILL right at the due time and started again."""

from __future__ import annotations

import os
import signal
import subprocess
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from domain.customers import Account, Opportunity
from domain.lead_events import ReminderFired
from domain.records import Task
from domain.values import EventMeta, LeadDetails
from infra.runtime import Engine
from tests.conftest import wait_for
from tests.e2e.test_cli import LEADS
from tests.unit.test_commands_through_the_service import prepare_qualified
from tests.unit.test_service import TERMS

TASKS = 12


def scheduler(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [LEADS, "consume", "--reminders"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def fired(engine: Engine, records: dict[str, UUID]) -> list[UUID]:
    lead = [e.task_id for e in engine.service.history(records["lead"]) if isinstance(e, ReminderFired)]
    return lead + [
        e.task_id
        for kind in ("account", "opportunity")
        for e in engine.service.customer_history(kind, records[kind])
        if isinstance(e, Account.ReminderFired | Opportunity.ReminderFired)
    ]


def test_reminders_2s_ahead_on_a_lead_an_account_and_an_opportunity_fire_once_with_two_schedulers_and_one_killed(
    engine: Engine,
) -> None:
    meta = EventMeta(actor="rep-1")
    lead = engine.service.capture_lead(
        details=LeadDetails(contact_name="Ada Lovelace", email="ada@example.com"), meta=meta
    ).lead_id
    customer = engine.service.capture_lead(
        details=LeadDetails(contact_name="Grace Hopper", email="grace@example.com", company="Compilers Inc"), meta=meta
    ).lead_id
    prepare_qualified(engine.service, customer)
    created = engine.service.convert(lead_id=customer, terms=TERMS, meta=meta).created
    records = {"lead": lead, "account": created["account_id"], "opportunity": created["opportunity_id"]}
    due = datetime.now(UTC) + timedelta(seconds=2)
    tasks = [uuid4() for _ in range(TASKS)]
    for i, task_id in enumerate(tasks):
        task = Task(
            task_id=task_id, subject="Call back", assignee="rep-2", due_at=due, remind_at=due, created_by="rep-1"
        )
        kind = ("lead", "account", "opportunity")[i % 3]
        if kind == "lead":
            engine.service.schedule_task(lead_id=lead, task=task, meta=meta)
        else:
            engine.service.schedule_record_task(kind=kind, record_id=records[kind], task=task, meta=meta)
    engine.prepare_read_store()
    for name in ("tasks", "feeds"):
        engine._start(engine.consumer(name))  # the read models, in this process; no scheduler here
    s = engine.settings
    env = os.environ | {
        "LEADS_POSTGRES_DSN": s.postgres_dsn or "",
        "LEADS_HOME": str(s.home),
        "LEADS_MODE": "embedded",
        "LEADS_REMINDER_CHECK_INTERVAL_S": "0.05",
    }
    first, second = scheduler(env), scheduler(env)
    restarted = None
    try:
        wait_for(lambda: datetime.now(UTC) >= due, timeout=10, what="the due time")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        restarted = scheduler(env)
        wait_for(lambda: len(fired(engine, records)) >= TASKS, timeout=30, what="every reminder to fire")
        # Absence cannot be waited for: let both live schedulers sweep many more times.
        wait_for(lambda: datetime.now(UTC) >= due + timedelta(seconds=3), timeout=10, what="more sweeps")
    finally:
        for proc in (first, second, restarted):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=20)
    assert sorted(fired(engine, records)) == sorted(tasks), "each reminder fired exactly once"

    def notified() -> list[dict[str, object]]:
        items = engine.queries.inbox("rep-2", unread_only=False, limit=500).rows
        return [n for n in items if str(n["kind"]).endswith("reminder_fired")]

    wait_for(lambda: len(notified()) >= TASKS, timeout=30, what="the notifications")
    assert len(notified()) == TASKS, "one notification per reminder, to the assignee alone"
    assert {n["kind"] for n in notified()} == {"reminder_fired", "account.reminder_fired", "opportunity.reminder_fired"}
    assert all(
        not str(n["kind"]).endswith("reminder_fired")
        for n in engine.queries.inbox("rep-1", unread_only=False, limit=500).rows
    )
