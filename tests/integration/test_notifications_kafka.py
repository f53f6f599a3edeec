"""Each notification goes to the notifications topic once, keyed by recipient, with the
notification id as its CloudEvents id; a restarted notifier or a rebuilt projection sends
nothing again."""

from __future__ import annotations

from typing import Any

import orjson
from kafka import KafkaConsumer

from domain.values import EventMeta, LeadDetails
from infra.runtime import Engine
from infra.settings import Settings
from tests.conftest import wait_for
from tests.integration.helpers import run_in_thread

MANAGER = EventMeta(actor="manager-1")


def read_all(settings: Settings) -> list[Any]:
    """Everything on the topic now (the consumer stops after 1 s without a new message)."""
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


def test_notifications_are_published_once_keyed_by_recipient(kafka_engine: Engine) -> None:
    s = kafka_engine.service
    lead = s.capture_lead(details=LeadDetails(contact_name="Ada", email="ada@example.com"), meta=MANAGER).lead_id
    s.assign(lead_id=lead, owner="rep-1", meta=MANAGER)
    s.follow(lead_id=lead, user="watcher", meta=EventMeta(actor="watcher"))
    s.contact(lead_id=lead, via="call", meta=EventMeta(actor="rep-1"))
    kafka_engine.start_background()
    expected = {("rep-1", "assigned"), ("watcher", "contacted")}
    records = wait_for(
        lambda: len(got := read_all(kafka_engine.settings)) >= len(expected) and got,
        timeout=30,
        what="the notifications on the topic",
    )
    bodies = [orjson.loads(r.value) for r in records]
    assert {(b["recipient"], b["kind"]) for b in bodies} == expected and len(bodies) == 2
    assert all(r.key == b["recipient"].encode() for r, b in zip(records, bodies, strict=True))
    assert all(dict(r.headers)["ce_id"] == b["notification_id"].encode() for r, b in zip(records, bodies, strict=True))

    kafka_engine.rebuild("feeds", lambda done, total: None)
    again = kafka_engine.notifier()
    thread = run_in_thread(again)
    wait_for(lambda: again.status == "running", what="a second notifier")
    conn = kafka_engine.db.connect()
    try:
        assert again.publish_batch(conn) == 0, "nothing left to publish after a rebuild"
    finally:
        conn.close()
    kafka_engine.stop.set()
    thread.join(timeout=15)
    assert len(read_all(kafka_engine.settings)) == 2
