"""Traces reach the work no request causes: each aging alert, speed-to-lead escalation and
reminder starts a trace of its own, which its events carry through the store, the relay and the
projections to the notifier, whose publish of the notification continues it and passes it on in
``traceparent``. Collected with the OpenTelemetry SDK's in-memory exporter."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient
from kafka import KafkaConsumer
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from domain.contract.envelope import envelope_of
from domain.lead_events import ResponseOverdue
from domain.records import Task
from domain.values import EventMeta, LeadDetails
from infra.runtime import Engine
from infra.settings import Settings
from infra.tracing import TracingSettings
from tests.conftest import wait_for
from tests.e2e.auth import bearer
from tests.spans import recorded_spans

MANAGER = EventMeta(actor="manager-1")


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    with recorded_spans() as exporter:
        yield exporter


def traced(settings: Settings) -> Settings:
    return settings.model_copy(update={"tracing": TracingSettings(enabled=True)})


def ancestors(span: ReadableSpan, finished: list[ReadableSpan]) -> list[str]:
    by_id = {s.context.span_id: s for s in finished}
    chain = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        chain.append(span.name)
    return chain


def trace_id_of(traceparent: bytes | str) -> int:
    text = traceparent.decode() if isinstance(traceparent, bytes) else traceparent
    return int(text.split("-")[1], 16)


def notifications(settings: Settings) -> list[object]:
    consumer = KafkaConsumer(
        settings.notifications_topic,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=1000,
    )
    try:
        return list(consumer)
    finally:
        consumer.close()


def test_an_aging_alert_and_a_reminder_each_start_a_trace_their_notification_continues(
    spans: InMemorySpanExporter, kafka_settings: Settings
) -> None:
    settings = traced(kafka_settings)
    engine = Engine.open(settings)
    try:
        engine.start_background()
        s = engine.service
        lead = s.capture_lead(details=LeadDetails(contact_name="Ada", email="ada@example.com"), meta=MANAGER).lead_id
        s.assign(lead_id=lead, owner="rep-1", meta=MANAGER)  # untraced: its notification is published untraced
        soon = datetime.now(UTC) + timedelta(seconds=1)
        task = Task(
            task_id=uuid4(),
            subject="Call back",
            assignee="rep-2",
            due_at=soon + timedelta(hours=1),
            remind_at=soon,
            created_by="rep-1",
        )
        s.schedule_task(lead_id=lead, task=task, meta=EventMeta(actor="rep-1"))
        later = datetime.now(UTC) + timedelta(days=3)
        wait_for(lambda: engine.aging_monitor().sweep(now=later) == 1, what="the aging view to see the lead")
        notifier = f"publish {settings.notifications_topic}"
        wait_for(
            lambda: len([x for x in spans.get_finished_spans() if x.name == notifier]) == 2,
            timeout=30,
            what="the aging alert's and the reminder's notifications to be published",
        )
        records = wait_for(lambda: len(got := notifications(settings)) == 3 and got, what="three notifications")
    finally:
        engine.close()
    finished = list(spans.get_finished_spans())
    published = {x.attributes["notification_kind"]: x for x in finished if x.name == notifier}  # type: ignore[index]
    assert set(published) == {"aging_alerted", "reminder_fired"}, "the untraced assignment opened no span"
    for root_name, kind in (("aging alert", "aging_alerted"), ("reminder", "reminder_fired")):
        (root,) = [x for x in finished if x.name == root_name]
        assert root.parent is None, "background work starts a trace of its own"
        in_trace = [x for x in finished if x.context.trace_id == root.context.trace_id]
        assert any(x.name == "store events" and x.parent and x.parent.span_id == root.context.span_id for x in in_trace)
        chain = ancestors(published[kind], finished)
        assert chain[0] == f"publish {settings.events_topic}" and chain[-1] == root_name, chain
    headers = {r.value: dict(r.headers) for r in records}  # type: ignore[attr-defined]
    traced_ids = {trace_id_of(h["traceparent"]) for h in headers.values() if "traceparent" in h}
    assert traced_ids == {x.context.trace_id for x in published.values()}
    assert sum("traceparent" not in h for h in headers.values()) == 1, "the assignment's notification has none"


def test_a_speed_to_lead_escalation_starts_a_trace_its_event_carries(
    spans: InMemorySpanExporter, settings: Settings
) -> None:
    engine = Engine.open(traced(settings))
    try:
        engine.start_background()
        with TestClient(engine.app(), headers=bearer(engine)) as admin:
            admin.post("/users", json={"name": "fast", "roles": ["rep"]})
            admin.post("/users", json={"name": "boss", "roles": ["manager"]})
            admin.put("/teams/desk", json={"members": ["fast"], "managers": ["boss"]})
            rule = {"id": "desk", "name": "Desk", "action": {"kind": "round_robin", "target": "desk"}}
            admin.put("/routing/rules", json={"rules": [rule | {"respond_within_minutes": 5}]})
            slow = admin.post("/leads", json={"contact_name": "Slow", "email": "slow@example.com"}).json()
        later = datetime.now(UTC) + timedelta(minutes=10)
        wait_for(lambda: engine.response_monitor().sweep(now=later) == 1, what="the routing view to see the lead")
        (overdue,) = [e for e in engine.service.history(slow["lead_id"]) if isinstance(e, ResponseOverdue)]
    finally:
        engine.close()
    finished = list(spans.get_finished_spans())
    (root,) = [x for x in finished if x.name == "response escalation"]
    assert root.parent is None and root.attributes == {"lead_id": slow["lead_id"]}
    stored = envelope_of(overdue).traceparent
    assert stored is not None and trace_id_of(stored) == root.context.trace_id
    assert any(x.name == "store events" and x.parent and x.parent.span_id == root.context.span_id for x in finished)
