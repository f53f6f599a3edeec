"""kill -9 the relay while it publishes 10,000 events, restart it: every event is on the topic
exactly once (the restarted relay reads what is already there before it publishes), and each
lead's events keep their order."""

from __future__ import annotations

import os
import signal
import subprocess
from typing import Any
from uuid import UUID

from kafka import KafkaConsumer, TopicPartition

from domain.lead import Lead
from domain.values import EventMeta, LeadDetails
from infra.runtime import Engine
from infra.settings import Settings
from tests.conftest import wait_for
from tests.e2e.test_cli import LEADS

META = EventMeta(actor="loader")


def write_10000_events(engine: Engine) -> None:
    for batch in range(25):
        leads = []
        for i in range(100):
            lead = Lead.capture(
                details=LeadDetails(contact_name=f"L{batch}-{i}", email=f"l{batch}x{i}@example.com"), meta=META
            )
            lead.contact(via="call", meta=META)
            lead.assign(owner=f"rep-{i % 7}", meta=META)
            lead.follow(user="manager", meta=META)
            leads.append(lead)
        engine.service.save(*leads)


def end_offsets(settings: Settings) -> int:
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False)
    try:
        parts = [TopicPartition(settings.events_topic, p) for p in consumer.partitions_for_topic(settings.events_topic)]
        return sum(consumer.end_offsets(parts).values())
    finally:
        consumer.close()


def relay_env(settings: Settings) -> dict[str, str]:
    return os.environ | {
        "LEADS_MODE": "kafka",
        "LEADS_POSTGRES_DSN": settings.postgres_dsn or "",
        "LEADS_HOME": str(settings.home),
        "LEADS_TOPIC_PREFIX": settings.topic_prefix,
        "LEADS_TOPIC_PARTITIONS": str(settings.topic_partitions),
        "LEADS_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "LEADS_BATCH_SIZE": "200",
    }


def test_a_relay_killed_mid_publish_loses_nothing_and_keeps_per_lead_order(kafka_engine: Engine) -> None:
    s = kafka_engine.settings
    write_10000_events(kafka_engine)
    head = kafka_engine.service.recorder.max_notification_id()
    relay = subprocess.Popen([LEADS, "relay"], env=relay_env(s), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_for(lambda: end_offsets(s) >= 2000, timeout=60, what="the relay to publish 2,000 events")
    relay.send_signal(signal.SIGKILL)
    relay.wait(timeout=10)
    published_at_kill = end_offsets(s)
    assert published_at_kill < 10_000, "the relay finished before it was killed: the test proved nothing"

    relay = subprocess.Popen([LEADS, "relay"], env=relay_env(s), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: relay_position(kafka_engine) >= head, timeout=120, what="the restarted relay to catch up")
    finally:
        relay.send_signal(signal.SIGTERM)
        relay.wait(timeout=30)

    seen: dict[UUID, list[int]] = {}
    for record in read_all(s):
        h = dict(record.headers)
        versions = seen.setdefault(UUID(record.key.decode()), [])
        version = int(h["ce_leadversion"])
        if version not in versions:
            versions.append(version)
    assert len(seen) == 2500
    assert all(v == [1, 2, 3, 4] for v in seen.values()), "each lead's events, deduped, in order"
    assert end_offsets(s) == 10_000, "the restarted relay skipped what its predecessor had published"


def relay_position(engine: Engine) -> int:
    with engine.db.cursor() as cur:
        return engine.positions.load(cur, consumer="relay", source="log").get(0, 0)


def read_all(settings: Settings) -> list[Any]:
    total = end_offsets(settings)
    consumer = KafkaConsumer(
        settings.events_topic,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=500,
    )
    records: list[Any] = []
    try:
        wait_for(lambda: records.extend(consumer) or len(records) >= total, timeout=60, what=f"{total} records")
    finally:
        consumer.close()
    return records
