"""Other services publish to the intake topic; the engine applies, dedupes and dead-letters."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from kafka import KafkaAdminClient, KafkaProducer

from domain import limits
from domain.contract.envelope import LEAD_TOPICS
from domain.picklists import BantItem
from domain.records import OpportunityTerms
from domain.values import EventMeta, LeadDetails
from infra.kafka_dlq import list_dead_letters
from infra.runtime import Engine
from infra.settings import Settings
from tests.conftest import wait_for
from tests.integration.helpers import run_in_thread


def ce(
    ce_type: str, data: Any, *, ce_id: str | None = None, source: str = "urn:partner:acme", drop: tuple[str, ...] = ()
) -> tuple[bytes, list[tuple[str, bytes]]]:
    """A CloudEvents binary-mode message as a plain kafka-python producer would send it."""
    headers = {
        "ce_specversion": "1.0",
        "ce_id": ce_id or str(uuid.uuid4()),
        "ce_type": ce_type,
        "ce_source": source,
        "ce_time": "2026-11-20T10:00:00+00:00",
        "content-type": "application/json",
    }
    value = data if isinstance(data, bytes) else json.dumps(data).encode()
    return value, [(k, v.encode()) for k, v in headers.items() if k not in drop]


@pytest.fixture
def intake(kafka_engine: Engine) -> Iterator[Engine]:
    worker = kafka_engine.intake()
    kafka_engine.workers.append(worker)
    thread = run_in_thread(worker)
    yield kafka_engine
    assert thread.is_alive(), f"the intake consumer died: {worker.status}"
    kafka_engine.stop.set()
    thread.join(timeout=15)


@pytest.fixture
def producer(kafka_settings: Settings) -> Iterator[KafkaProducer]:
    p = KafkaProducer(bootstrap_servers=kafka_settings.kafka_bootstrap_servers)
    yield p
    p.close()


def send(producer: KafkaProducer, settings: Settings, messages: list[tuple[str, tuple[bytes, list[Any]]]]) -> None:
    for key, (value, headers) in messages:
        producer.send(settings.intake_topic, key=key.encode(), value=value, headers=headers)
    producer.flush()


def lead_event_count(engine: Engine) -> int:
    return len(engine.service.recorder.select_notifications(start=1, limit=100_000, topics=LEAD_TOPICS))


def intake_done(settings: Settings, total: int) -> bool:
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    try:
        group = f"{settings.consumer_group}.intake"
        offsets = admin.list_group_offsets(group).get(group, {})
    finally:
        admin.close()
    return sum(o.offset for o in offsets.values()) >= total


def test_a_lead_published_by_another_service_is_created(intake: Engine, producer: KafkaProducer) -> None:
    lead_id = str(uuid.uuid4())
    data = {"lead_id": lead_id, "contact_name": "Grace Hopper", "email": "grace@example.com", "source": "partner"}
    send(producer, intake.settings, [(lead_id, ce("org.leads-engine.lead.intake.capture.v1", data))])
    lead = wait_for(lambda: lead_event_count(intake) and intake.service.get_lead(uuid.UUID(lead_id)), what="the lead")
    assert lead.details.email == "grace@example.com"
    event = intake.service.history(lead.id)[0]
    assert (event.meta.actor, event.meta.channel.value) == ("urn:partner:acme", "intake")


def test_a_lead_sent_under_the_old_type_or_the_new_is_captured_and_another_producers_type_is_not(
    intake: Engine, producer: KafkaProducer
) -> None:
    """Producers move to the reverse-DNS types when they like: the old ones are aliases."""
    old, new, by_new, foreign = (str(uuid.uuid4()) for _ in range(4))

    def capture(lead: str, name: str) -> dict[str, str]:
        return {"lead_id": lead, "contact_name": name, "email": f"{name.lower()}@example.com"}

    messages = [
        (old, ce("lead.intake.capture.v1", capture(old, "Old"))),
        (new, ce("org.leads-engine.lead.intake.capture.v1", capture(new, "New"))),
        (by_new, structured("org.leads-engine.lead.intake.capture.v1", capture(by_new, "Structured"))),
        (old, ce("org.leads-engine.lead.intake.assign.v1", {"lead_id": old, "owner": "rep-2"})),
        (new, ce("lead.intake.assign.v1", {"lead_id": new, "owner": "rep-2"})),
        (foreign, ce("com.example.lead.intake.capture.v1", capture(foreign, "Foreign"))),
    ]
    send(producer, intake.settings, messages)
    wait_for(lambda: intake_done(intake.settings, len(messages)), timeout=60, what="intake to commit every message")
    leads = [intake.service.get_lead(uuid.UUID(lead)) for lead in (old, new, by_new)]
    assert [(lead.details.contact_name, lead.owner) for lead in leads] == [
        ("Old", "rep-2"),
        ("New", "rep-2"),
        ("Structured", None),
    ]
    assert lead_or_none(intake, foreign) is None
    s = intake.settings
    dead = list_dead_letters(bootstrap_servers=s.kafka_bootstrap_servers, dlq_topic=s.dlq_topic)
    assert [(d["stage"], d["reason"].split(";")[0]) for d in dead] == [
        ("parse", "unknown ce_type 'com.example.lead.intake.capture.v1'")
    ]
    assert "org.leads-engine.lead.intake.capture.v1" in dead[0]["reason"], "the refusal names the types to use"


def test_1000_messages_with_50_bad_apply_950_dead_letter_50_and_a_resend_changes_nothing(
    intake: Engine, producer: KafkaProducer
) -> None:
    s = intake.settings
    leads = [str(uuid.uuid4()) for _ in range(600)]
    good: list[tuple[str, Any]] = []
    for i, lead in enumerate(leads):
        good.append(
            (
                lead,
                ce("lead.intake.capture.v1", {"lead_id": lead, "contact_name": f"L{i}", "email": f"l{i}@example.com"}),
            )
        )
    for lead in leads[:200]:
        good.append((lead, ce("lead.intake.signal.v1", {"lead_id": lead, "kind": "email_clicked", "detail": "spring"})))
    for lead in leads[200:300]:
        good.append((lead, ce("lead.intake.assign.v1", {"lead_id": lead, "owner": "rep-1"})))
    for lead in leads[300:350]:
        good.append((lead, ce("lead.intake.contact.v1", {"lead_id": lead, "via": "call"})))
    lead = leads[0]
    bad: list[tuple[str, Any]] = (
        [(lead, ce("lead.intake.capture.v1", b"{not json")) for _ in range(10)]
        + [(lead, ce("lead.intake.contact.v1", {"lead_id": lead, "via": "call"}, drop=("ce_type",))) for _ in range(10)]
        + [(lead, ce("lead.intake.teleport.v1", {"lead_id": lead})) for _ in range(10)]
        + [(lead, ce("lead.intake.capture.v1", {"contact_name": "X", "email": "not-an-email"})) for _ in range(10)]
        + [(lead, ce("lead.intake.qualify.v1", {"lead_id": lead})) for _ in range(10)]  # a New lead cannot be qualified
    )
    messages = good + bad
    assert len(messages) == 1000
    send(producer, s, messages)
    wait_for(lambda: intake_done(s, 1000), timeout=120, what="the intake consumer to commit 1,000 offsets")
    assert lead_event_count(intake) == 950
    dead = list_dead_letters(bootstrap_servers=s.kafka_bootstrap_servers, dlq_topic=s.dlq_topic)
    assert len(dead) == 50 and all(d["reason"] for d in dead)
    assert Counter(d["stage"] for d in dead) == {"parse": 30, "validate": 10, "domain": 10}
    assert all(d["original"].startswith(f"{s.intake_topic}/") for d in dead)
    before = {lid: intake.service.get_lead(uuid.UUID(lid)).version for lid in leads}

    send(producer, s, messages)
    wait_for(lambda: intake_done(s, 2000), timeout=120, what="the intake consumer to commit 2,000 offsets")
    assert lead_event_count(intake) == 950
    assert {lid: intake.service.get_lead(uuid.UUID(lid)).version for lid in leads} == before


def hostile_messages(lead: str) -> list[tuple[str, tuple[bytes, list[Any]]]]:
    capture = "lead.intake.capture.v1"
    ada = {"contact_name": "Ada", "email": "ada@example.com"}
    return [
        (lead, ce(capture, ada | {"lead_id": lead, "custom_fields": {"m": "x" * 700_000}})),
        (lead, ce(capture, ada | {"contact_name": "c" * 10_000})),
        (lead, ce(capture, b'{"contact_name": "Ada \\ud800", "email": "a@example.com"}')),
        (lead, ce(capture, ada | {"contact_name": "Nul\u0000"})),
        (lead, ce(capture, ada | {"company_size": 2**70})),
        (lead, ce("lead.intake.assign.v1", {"lead_id": lead, "owner": "rep"}, source="s" * 5_000)),
    ]


def test_each_hostile_message_is_dead_lettered_with_its_reason_and_the_next_one_applied(
    intake: Engine, producer: KafkaProducer
) -> None:
    s = intake.settings
    messages: list[tuple[str, tuple[bytes, list[Any]]]] = []
    after_each: list[uuid.UUID] = []
    for i, message in enumerate(hostile_messages(str(uuid.uuid4()))):
        messages.append(message)
        lead = str(uuid.uuid4())
        after_each.append(uuid.UUID(lead))
        data = {"lead_id": lead, "contact_name": f"Next {i}", "email": f"next{i}@example.com"}
        messages.append((lead, ce("lead.intake.capture.v1", data)))
    send(producer, s, messages)
    wait_for(lambda: intake_done(s, len(messages)), timeout=60, what="intake to commit every message")
    dead = list_dead_letters(bootstrap_servers=s.kafka_bootstrap_servers, dlq_topic=s.dlq_topic)
    reasons = [(d["stage"], d["reason"]) for d in dead]
    assert len(reasons) == 6, reasons
    assert reasons[0][0] == "limit" and str(limits.current().intake_message_bytes) in reasons[0][1], reasons
    assert reasons[1][0] == "validate" and reasons[1][1].startswith("contact_name:") and "200" in reasons[1][1]
    assert reasons[2][0] == "parse" and "surrogate" in reasons[2][1] and "column 23" in reasons[2][1]
    assert reasons[3][0] == "validate" and "NUL" in reasons[3][1]
    assert reasons[4][0] == "validate" and reasons[4][1].startswith("company_size:")
    assert reasons[5][0] == "validate" and "ce_source" in reasons[5][1]
    for lead_id in after_each:
        assert intake.service.get_lead(lead_id).details.email


def structured(ce_type: str, data: Any, *, ce_id: str | None = None) -> tuple[bytes, list[tuple[str, bytes]]]:
    """A CloudEvents structured-mode message: the whole event as JSON, one content-type header."""
    event = {
        "specversion": "1.0",
        "id": ce_id or str(uuid.uuid4()),
        "type": ce_type,
        "source": "urn:partner:structured",
        "time": "2026-11-20T10:00:00+00:00",
        "datacontenttype": "application/json",
        "correlationid": "corr-7",
        "data": data,
    }
    if ce_id == "":
        del event["id"]
    return json.dumps(event).encode(), [("content-type", b"application/cloudevents+json; charset=utf-8")]


def test_a_structured_mode_cloudevent_is_captured_and_one_without_an_id_dead_lettered(
    intake: Engine, producer: KafkaProducer
) -> None:
    lead_id, twice = str(uuid.uuid4()), str(uuid.uuid4())
    data = {"lead_id": lead_id, "contact_name": "Grace Hopper", "email": "grace@example.com"}
    no_id = structured("lead.intake.capture.v1", data | {"lead_id": str(uuid.uuid4())}, ce_id="")
    once = structured("lead.intake.capture.v1", data | {"lead_id": twice, "email": "twice@example.com"})
    binary = ce("lead.intake.assign.v1", {"lead_id": lead_id, "owner": "rep-3"})
    messages = [(lead_id, structured("lead.intake.capture.v1", data)), (lead_id, no_id), (twice, once), (twice, once)]
    send(producer, intake.settings, [*messages, (lead_id, binary)])
    wait_for(lambda: intake_done(intake.settings, 5), timeout=60, what="intake to commit every message")
    lead = intake.service.get_lead(uuid.UUID(lead_id))
    assert (lead.details.email, lead.owner) == ("grace@example.com", "rep-3")
    first = intake.service.history(lead.id)[0]
    assert (first.meta.actor, first.meta.correlation_id) == ("urn:partner:structured", "corr-7")
    assert intake.service.get_lead(uuid.UUID(twice)).version == 1, "a redelivered structured event applies once"
    s = intake.settings
    dead = list_dead_letters(bootstrap_servers=s.kafka_bootstrap_servers, dlq_topic=s.dlq_topic)
    assert [(d["stage"], d["reason"]) for d in dead] == [("parse", "missing CloudEvents attributes: id")]


def lead_or_none(engine: Engine, lead_id: str) -> Any:
    from domain.errors import NotFound

    try:
        return engine.service.get_lead(uuid.UUID(lead_id))
    except NotFound:
        return None


def test_a_structured_mode_cloudevent_sent_by_kafkas_console_producer_is_captured(intake: Engine) -> None:
    import shutil
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    classpath = subprocess.run(
        [str(root / "infra/kafka/kafka.sh"), "classpath"], capture_output=True, text=True, check=True
    ).stdout.strip()
    lead_id = str(uuid.uuid4())
    data = {"lead_id": lead_id, "contact_name": "Console", "email": "c@x.io"}
    value, _ = structured("org.leads-engine.lead.intake.capture.v1", data)
    line = f"content-type:application/cloudevents+json\t{lead_id}\t{value.decode()}\n"
    subprocess.run(
        [
            shutil.which("java") or "java",
            "-cp",
            classpath,
            "org.apache.kafka.tools.ConsoleProducer",
            "--bootstrap-server",
            intake.settings.kafka_bootstrap_servers,
            "--topic",
            intake.settings.intake_topic,
            "--reader-property",
            "parse.headers=true",
            "--reader-property",
            "parse.key=true",
        ],
        input=line,
        capture_output=True,
        text=True,
        timeout=90,
        check=True,
    )
    lead = wait_for(lambda: lead_or_none(intake, lead_id), timeout=60, what="the console's lead")
    assert lead.details.contact_name == "Console"


def test_a_lead_published_with_a_customers_email_is_captured_and_flagged_as_that_contacts_duplicate(
    intake: Engine, producer: KafkaProducer
) -> None:
    """Intake never loses a lead: a look-alike of a customer-master contact is captured, flagged."""
    s, meta = intake.service, EventMeta(actor="rep-1")
    first = s.capture_lead(details=LeadDetails(contact_name="Grace Hopper", email="grace@navy.example"), meta=meta)
    s.contact(lead_id=first.lead_id, via="call", meta=meta)
    s.update_bant(lead_id=first.lead_id, changes=dict.fromkeys(BantItem, "yes"), meta=meta)
    s.qualify(lead_id=first.lead_id, meta=meta)
    terms = OpportunityTerms(name="Deal", deal_value=1, expected_close="2027-01-01", probability=10)
    contact = s.convert(lead_id=first.lead_id, terms=terms, meta=meta).created["contact_id"]
    lead_id = str(uuid.uuid4())
    data = {"lead_id": lead_id, "contact_name": "G. Hopper", "email": "GRACE@navy.example"}
    send(producer, intake.settings, [(lead_id, ce("lead.intake.capture.v1", data))])
    lead = wait_for(lambda: intake_done(intake.settings, 1) and s.get_lead(uuid.UUID(lead_id)), what="the lead")
    assert (lead.duplicate_of, lead.duplicate_of_kind, lead.status.value) == (contact, "contact", "new")
