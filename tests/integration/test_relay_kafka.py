"""The relay publishes the notification log to real Kafka as CloudEvents, keyed by lead id."""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from uuid import UUID

import orjson
from cloudevents.v1.kafka import KafkaMessage, from_binary
from kafka import KafkaConsumer

from domain.contract.cloudevents import from_kafka
from domain.erasure import erase_lead
from domain.values import EventMeta, LeadDetails
from infra.blobs import BlobStore
from infra.kafka_bus import ensure_topics
from infra.personal_data import PersonalData
from infra.runtime import Engine
from infra.settings import Settings
from infra.subject_keys import PostgresKeyStore
from tests.conftest import wait_for
from tests.integration.helpers import run_in_thread

META = EventMeta(actor="rep-1")


def read_topic(settings: Settings, count: int) -> list[Any]:
    consumer = KafkaConsumer(
        settings.events_topic,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=200,
    )
    records: list[Any] = []
    try:
        wait_for(lambda: records.extend(consumer) or len(records) >= count, what=f"{count} messages on the topic")
    finally:
        consumer.close()
    return records


def test_each_event_is_published_once_keyed_by_lead_in_order_with_cloudevents_headers(kafka_engine: Engine) -> None:
    s = kafka_engine.service
    leads = [
        s.capture_lead(details=LeadDetails(contact_name=f"L{i}", email=f"l{i}@example.com"), meta=META).lead_id
        for i in range(5)
    ]
    for lead in leads:
        s.contact(lead_id=lead, via="call", meta=META)
        s.assign(lead_id=lead, owner="rep-2", meta=META)
    relay = kafka_engine.relay()
    thread = run_in_thread(relay)
    records = read_topic(kafka_engine.settings, 15)
    kafka_engine.stop.set()
    thread.join(timeout=10)

    versions: dict[UUID, list[int]] = defaultdict(list)
    partitions: dict[UUID, set[int]] = defaultdict(set)
    for r in records:
        event = from_binary(KafkaMessage(headers=dict(r.headers), key=r.key, value=r.value))
        assert event["specversion"] == "1.0" and event["source"] == "urn:leads-engine:lead"
        assert event["type"].startswith("org.leads-engine.lead."), "the reverse-DNS prefix CloudEvents recommends"
        assert r.key.decode() == event["subject"]
        lead = UUID(event["subject"])
        versions[lead].append(int(event["leadversion"]))
        partitions[lead].add(r.partition)
    assert set(versions) == set(leads)
    assert all(v == [1, 2, 3] for v in versions.values()), versions
    assert all(len(p) == 1 for p in partitions.values())
    types = [from_kafka(r.headers, r.value, s.personal).type for r in records if r.key == str(leads[0]).encode()]
    assert types == ["lead.captured.v1", "lead.contacted.v1", "lead.assigned.v2"]


def test_published_events_carry_personal_data_sealed_and_erasure_reaches_the_topic(kafka_engine: Engine) -> None:
    """The topic keeps everything forever, so what it keeps must be unreadable once erased."""
    s = kafka_engine.service
    lead = s.capture_lead(
        details=LeadDetails(contact_name="Ada Lovelace", email="ada@example.com", company="Engines"), meta=META
    ).lead_id
    thread = run_in_thread(kafka_engine.relay())
    (record,) = read_topic(kafka_engine.settings, 1)
    kafka_engine.stop.set()
    thread.join(timeout=10)
    payload = orjson.loads(record.value)
    assert b"Ada" not in record.value and b"ada@example.com" not in record.value
    assert payload["details"]["company"] == "Engines" and payload["details"]["contact_name"] is None
    assert payload["personal_data"]["paths"] == ["details.contact_name", "details.email"]
    opened = from_kafka(record.headers, record.value, s.personal).payload["details"]
    assert (opened["contact_name"], opened["email"]) == ("Ada Lovelace", "ada@example.com")
    erase_lead(
        service=s,
        keys=s.keys,
        blobs=BlobStore(kafka_engine.db, schema=kafka_engine.settings.event_schema),
        lead_id=lead,
        meta=META,
        request=None,
        expected_version=None,
    )
    other_process = PostgresKeyStore(kafka_engine.db, schema=kafka_engine.settings.event_schema, cache_s=0)
    erased = from_kafka(record.headers, record.value, PersonalData(other_process)).payload["details"]
    assert (erased["contact_name"], erased["email"], erased["company"]) == ("[erased]", None, "Engines")


def test_a_restarted_relay_resumes_after_its_stored_position(kafka_settings: Settings) -> None:
    first = Engine.open(kafka_settings)
    lead = first.service.capture_lead(details=LeadDetails(contact_name="A", email="a@example.com"), meta=META).lead_id
    relay = first.relay()
    thread = run_in_thread(relay)
    read_topic(kafka_settings, 1)
    wait_for(lambda: _relay_position(first) >= 1, what="relay position saved")
    first.stop.set()
    thread.join(timeout=10)
    first.close()

    second = Engine.open(kafka_settings)
    second.service.contact(lead_id=lead, via="call", meta=META)
    thread = run_in_thread(second.relay())
    records = read_topic(kafka_settings, 2)
    second.stop.set()
    thread.join(timeout=10)
    second.close()
    assert [int(dict(r.headers)["ce_leadversion"]) for r in records] == [1, 2]


def test_topics_are_created_explicitly_with_unlimited_retention_for_the_audit_trail(kafka_settings: Settings) -> None:
    from kafka import KafkaAdminClient
    from kafka.admin import ConfigResource, ConfigResourceType

    ensure_topics(kafka_settings)
    ensure_topics(kafka_settings)  # idempotent
    admin = KafkaAdminClient(bootstrap_servers=kafka_settings.kafka_bootstrap_servers)
    try:
        topics = {t["name"]: t for t in admin.describe_topics([kafka_settings.events_topic])}
        assert len(topics[kafka_settings.events_topic]["partitions"]) == kafka_settings.topic_partitions
        configs = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, kafka_settings.events_topic)])
        topic_configs = configs["topic"][kafka_settings.events_topic]
        assert topic_configs["retention.ms"]["value"] == "-1"
        assert topic_configs["retention.bytes"]["value"] == "-1"
    finally:
        admin.close()


def _relay_position(engine: Engine) -> int:
    with engine.db.cursor() as cur:
        return engine.positions.load(cur, consumer="relay", source="log").get(0, 0)


def test_kafkas_own_console_consumer_prints_our_messages_with_their_ce_headers(kafka_engine: Engine) -> None:
    import shutil
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    classpath = subprocess.run(
        [str(root / "infra/kafka/kafka.sh"), "classpath"], capture_output=True, text=True, check=True
    ).stdout.strip()
    lead = kafka_engine.service.capture_lead(details=LeadDetails(contact_name="A", email="a@example.com"), meta=META)
    thread = run_in_thread(kafka_engine.relay())
    read_topic(kafka_engine.settings, 1)
    kafka_engine.stop.set()
    thread.join(timeout=10)
    java = shutil.which("java") or "java"
    printed = subprocess.run(
        [
            java,
            "-cp",
            classpath,
            "org.apache.kafka.tools.consumer.ConsoleConsumer",
            "--bootstrap-server",
            kafka_engine.settings.kafka_bootstrap_servers,
            "--topic",
            kafka_engine.settings.events_topic,
            "--from-beginning",
            "--max-messages",
            "1",
            "--timeout-ms",
            "30000",
            "--formatter-property",
            "print.headers=true",
            "--formatter-property",
            "print.key=true",
        ],
        capture_output=True,
        text=True,
        timeout=90,
    ).stdout
    assert "ce_type:org.leads-engine.lead.captured.v1" in printed and "ce_specversion:1.0" in printed
    assert f"ce_subject:{lead.lead_id}" in printed and f"\t{lead.lead_id}\t" in printed


def test_an_existing_events_topic_that_would_drop_history_is_reported_not_used(kafka_settings: Settings) -> None:
    import pytest
    from kafka import KafkaAdminClient

    from infra.errors import StartupError

    admin = KafkaAdminClient(bootstrap_servers=kafka_settings.kafka_bootstrap_servers)
    admin.create_topics(
        {
            kafka_settings.events_topic: {
                "num_partitions": kafka_settings.topic_partitions,
                "configs": {"retention.ms": "604800000"},
            }
        },
        wait_for_metadata=True,
    )
    admin.close()
    with pytest.raises(StartupError, match=r"would drop audit history \(retention.ms=604800000\)"):
        ensure_topics(kafka_settings)


def test_where_configured_an_undecodable_message_halts_the_consumer_naming_where_it_is(
    kafka_settings: Settings,
) -> None:
    from kafka import KafkaProducer

    from infra.health import health

    kafka_engine = Engine.open(kafka_settings.model_copy(update={"poison_policy": "halt"}))

    producer = KafkaProducer(bootstrap_servers=kafka_engine.settings.kafka_bootstrap_servers)
    producer.send(
        kafka_engine.settings.events_topic,
        key=b"k",
        value=b"not an event",
        partition=0,
        headers=[("ce_type", b"lead.teleported.v1")],
    )
    producer.flush()
    producer.close()
    runner = kafka_engine.consumer("lead_list")
    kafka_engine.workers.append(runner)
    thread = run_in_thread(runner)
    thread.join(timeout=30)
    expected = f"halted at {kafka_engine.settings.events_topic}/0@0: missing header ce_id"
    assert runner.status == expected
    assert health(kafka_engine)["components"]["consumers"]["lead_list_v4"]["status"] == expected
    kafka_engine.close()


def test_relay_marks_turn_a_log_position_into_the_offsets_that_cover_it(kafka_engine: Engine) -> None:
    """Read-your-writes in kafka mode waits for these offsets, so they must never fall short."""
    from consumers.positions import RelayMarks

    s = kafka_engine.service
    leads = [
        s.capture_lead(details=LeadDetails(contact_name=f"M{i}", email=f"m{i}@example.com"), meta=META)
        for i in range(12)
    ]
    thread = run_in_thread(kafka_engine.relay())
    records = read_topic(kafka_engine.settings, 12)
    kafka_engine.stop.set()
    thread.join(timeout=10)
    landed = {int(dict(r.headers)["ce_notificationid"]): (r.partition, r.offset) for r in records}
    marks = RelayMarks(schema=kafka_engine.settings.read_schema)
    for lead in leads:
        with kafka_engine.db.cursor() as cur:
            needed = marks.offsets_covering(cur, lead.position or 0)
        for notification_id, (partition, offset) in landed.items():
            if notification_id <= (lead.position or 0):
                assert needed.get(partition, -1) >= offset, (lead.position, notification_id)
