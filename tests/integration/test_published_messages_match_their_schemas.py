"""Every published event type (the lead's and the customer master's), as the relay puts it on the
topic (personal fields sealed) and as it
reads once the lead is erased, validates against the JSON Schema the engine publishes for its
type (``leads schema events``), checked with ``jsonschema`` by a plain kafka-python consumer."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest
from kafka import KafkaConsumer

from domain.base import Aggregate
from domain.contract.cloudevents import from_kafka
from domain.contract.envelope import CLASSES, event_type
from domain.contract.type_names import wire_type
from domain.customers import Account, Contact, Opportunity
from domain.decision import Decision
from domain.lead import Lead
from domain.likelihood import Estimate
from domain.picklists import ActivityKind, BantItem, DisqualifyReason, SignalKind, Strategy
from domain.records import (
    Activity,
    Attachment,
    ConversionLinks,
    Note,
    OpportunityTerms,
    ScoreBreakdown,
    Signal,
    Task,
)
from domain.score_values import Bands
from domain.values import ERASED, EventMeta, LeadDetails
from infra.runtime import Engine
from infra.settings import Settings
from tests.conftest import wait_for
from tests.contract import Published, problems, violations
from tests.e2e.test_cli import LEADS
from tests.integration.helpers import run_in_thread

META = EventMeta(actor="rep-1")
NOW = datetime.now(UTC)
PERSON = {
    "contact_name": "Ada Lovelace",
    "email": "ada@example.com",
    "phone": "+442079460958",
    "job_title": "Countess",
    "custom_fields": {"hobby": "engines"},
    "address": {"street": "12 St James's Sq", "city": "London", "postal_code": "SW1Y 4JH", "country": "GB"},
}


def every_event_type() -> list[Aggregate]:
    """Leads (and the customer master's records) whose histories hold every published event
    type, each personal field filled in; the erased lead last."""
    lead = Lead.capture(details=LeadDetails.model_validate(PERSON | {"company": "Engines"}), meta=META)
    lead.update_details(changes={"contact_name": "Ada King", "phone": "+442079460959"}, meta=META)
    due = NOW + timedelta(minutes=5)
    lead.route(
        decision=Decision(Strategy.ROUND_ROBIN, "rule r1", owner="rep-1", rule_id="r1", respond_by=due), meta=META
    )
    lead.escalate_overdue(due=due, managers=("boss",), meta=META)
    lead.route(decision=Decision(Strategy.QUEUE, "nobody free", queue="inbound"), meta=META)
    lead.claim(user="rep-2", meta=META)
    lead.contact(via="call", meta=META)
    activity = Activity(
        activity_id=uuid4(),
        kind=ActivityKind.CALL,
        subject="Intro call",
        outcome="keen",
        next_step="demo",
        logged_by="rep-2",
        logged_at=NOW,
    )
    lead.log_activity(activity=activity, meta=META)
    lead.add_note(note=Note(note_id=uuid4(), text="likes engines", author="rep-2", added_at=NOW), meta=META)
    attachment = Attachment(
        attachment_id=uuid4(),
        name="ada.pdf",
        media_type="application/pdf",
        size=3,
        content_hash="a" * 64,
        added_by="rep-2",
        added_at=NOW,
    )
    lead.add_attachment(attachment=attachment, meta=META)
    lead.follow(user="watcher", meta=META)
    lead.unfollow(user="watcher", meta=META)
    lead.record_signal(signal=Signal(kind=SignalKind.PAGE_VISITED, detail="/pricing", occurred_at=NOW), meta=META)
    lead.record_score(
        breakdown=ScoreBreakdown(demographic=10, behavioral=5, firmographic=3), rule_version="1", meta=META
    )
    lead.adjust_score(points=5, reason="met at a fair", meta=META)
    assert lead.reclassify(version=2, bands=Bands(cold_max=10, warm_max=60), mql_threshold=20, meta=META)
    lead.update_bant(changes=dict.fromkeys(BantItem, "yes"), meta=META)
    lead.nurture(reason="next quarter", follow_up_on=date(2027, 1, 4), meta=META)
    lead.reopen(meta=META)
    lead.raise_aging_alert(status=lead.status, days_in_status=9, threshold_days=7, meta=META)
    lead.qualify(meta=META)
    terms = OpportunityTerms(
        name="Engines deal", deal_value=Decimal("1200.50"), expected_close=date(2027, 3, 1), probability=40
    )
    links = ConversionLinks(
        opportunity_id=uuid4(), account_id=uuid4(), contact_id=uuid4(), created_account=True, created_contact=True
    )
    lead.convert(terms=terms, links=links, meta=META)

    master = Lead.capture(details=LeadDetails(contact_name="Charles Babbage", email="cb@example.com"), meta=META)
    duplicate = Lead.capture(details=LeadDetails.model_validate(PERSON), meta=META)
    duplicate.log_activity(activity=activity.model_copy(update={"activity_id": uuid4()}), meta=META)
    duplicate.mark_duplicate(of_id=master.id, matched_on="email", meta=META)
    master.absorb(duplicate, take_fields=["phone", "job_title", "address"], meta=META)
    chores = Lead.capture(details=LeadDetails(contact_name="Grace Hopper", email="gh@example.com"), meta=META)
    now = datetime.now(UTC)
    task = Task(task_id=uuid4(), subject="Call back", assignee="rep-1", due_at=now, remind_at=now, created_by="rep-1")
    chores.schedule_task(task=task, meta=META)
    chores.fire_reminder(task_id=task.task_id, now=now, meta=META)
    chores.complete_task(task_id=task.task_id, meta=META)
    chores.record_likelihood(estimate=Estimate(probability=42.0), version=1, meta=META)
    chores.dismiss_duplicate(of_id=master.id, of_kind="lead", meta=META)
    chores.archive(reason="quiet for now", meta=META)
    chores.unarchive(meta=META)
    chores.delete(reason="test data", meta=META)
    customer = Lead.capture(details=LeadDetails(contact_name="Alan Turing", email="at@example.com"), meta=META)
    customer.merge_into_contact(contact_id=uuid4(), account_id=uuid4(), meta=META)
    lost = Lead.capture(details=LeadDetails.model_validate(PERSON), meta=META)
    lost.disqualify(reason=DisqualifyReason.NO_BUDGET, text="Ada said no budget", meta=META)
    return [lead, master, duplicate, chores, customer, *customer_records(lead.id), lost]


def customer_records(lead_id: UUID) -> list[Aggregate]:
    """An account, a contact and an opportunity whose histories hold every event type of theirs."""
    account = Account.register(name="Engines", industry="machines", address=None, meta=META, account_id=uuid4())
    contact = Contact.register(
        account_id=account.id,
        name="Ada Lovelace",
        email="ada@example.com",
        phone="+442079460958",
        job_title="Countess",
        meta=META,
        contact_id=uuid4(),
    )
    terms = OpportunityTerms(
        name="Engines deal", deal_value=Decimal("10"), expected_close=date(2027, 3, 1), probability=40
    )
    opportunity = Opportunity.open(
        lead_id=lead_id, account_id=account.id, contact_id=contact.id, terms=terms, meta=META, opportunity_id=uuid4()
    )
    account.link_lead(lead_id=lead_id, opportunity_id=opportunity.id, meta=META)
    account.record_merged_lead(lead_id=uuid4(), contact_id=contact.id, meta=META)
    contact.link_lead(lead_id=lead_id, meta=META)
    contact.absorb_lead(lead_id=uuid4(), meta=META)
    opportunity.change(meta=META, stage="proposal", amount=Decimal("20"), probability=50, close_date=date(2027, 4, 1))
    now = datetime.now(UTC)
    for record in (account, opportunity):
        task = Task(
            task_id=uuid4(), subject="Kick-off", assignee="rep-1", due_at=now, remind_at=now, created_by="rep-1"
        )
        record.schedule_task(task=task, meta=META)
        record.fire_reminder(task_id=task.task_id, now=now, meta=META)
        record.complete_task(task_id=task.task_id, meta=META)
        record.follow(user="watcher", meta=META)
        record.unfollow(user="watcher", meta=META)
    return [account, contact, opportunity]


def read_everything(settings: Settings, count: int) -> list[Any]:
    consumer = KafkaConsumer(
        settings.events_topic,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=300,
    )
    records: list[Any] = []
    try:
        wait_for(lambda: records.extend(consumer) or len(records) >= count, timeout=60, what=f"{count} messages")
    finally:
        consumer.close()
    return records


def test_every_event_type_on_the_topic_validates_against_its_published_schema_sealed_and_erased(
    kafka_engine: Engine, published_messages_follow_their_schemas: list[Published]
) -> None:
    leads = every_event_type()
    kafka_engine.service.save(*leads)
    lost = leads[-1]
    assert isinstance(lost, Lead)
    lost.erase_personal_data(request="GDPR art. 17", meta=META)
    kafka_engine.service.save(lost)
    head = kafka_engine.service.recorder.max_notification_id()  # type: ignore[attr-defined]
    thread = run_in_thread(kafka_engine.relay())
    records = read_everything(kafka_engine.settings, head)
    kafka_engine.stop.set()
    thread.join(timeout=15)

    assert len(published_messages_follow_their_schemas) >= head, "the suite-wide hook saw what the relay sent"
    messages = [Published(r.topic, r.key, r.value, r.headers) for r in records]
    assert [v for m in messages for v in violations(m)] == []
    seen = {dict(r.headers)["ce_type"].decode() for r in records}
    assert seen == {wire_type(event_type(c)) for c in CLASSES.values()}, "the scenario covers every event type"
    captured = b"org.leads-engine.lead.captured.v1"
    sealed = [orjson.loads(r.value) for r in records if dict(r.headers)["ce_type"] == captured]
    assert all(m["details"]["contact_name"] is None and "personal_data" in m for m in sealed), "sealed on the wire"

    kafka_engine.service.keys.erase([lost.id])
    erased = [
        from_kafka(r.headers, r.value, kafka_engine.service.personal) for r in records if r.key == str(lost.id).encode()
    ]
    assert erased[0].payload["details"]["contact_name"] == ERASED
    for event in erased:
        opened = {k: v for k, v in event.payload.items() if k != "class_version"}
        assert problems(wire_type(event.type), opened) == [], "the erased form reads within the schema too"


def test_a_message_that_breaks_its_schema_is_caught_naming_where() -> None:
    qualified = "org.leads-engine.lead.qualified.v1"
    headers = [("ce_type", qualified.encode()), ("ce_subject", b"x"), ("ce_specversion", b"0.3")]
    found = violations(Published("t.lead-events", b"x", b'{"meta": {}}', headers))
    assert f"{qualified} at /meta: 'actor' is a required property" in found
    assert any(v.startswith(f"{qualified}#headers at /ce_specversion") for v in found)
    dead = violations(Published("t.lead-intake.dlq", None, b"\xff", [("dlq_stage", b"parse")]))
    assert "org.leads-engine.lead.intake.dead_letter#headers at /: 'dlq_reason' is a required property" in dead


def test_an_event_published_under_its_short_type_breaks_the_published_schema() -> None:
    """The engine publishes only the prefixed types (the short ones are read as aliases only)."""
    with pytest.raises(AssertionError, match=r"no schema for 'lead\.qualified\.v1'"):
        violations(Published("t.lead-events", b"x", b"{}", [("ce_type", b"lead.qualified.v1")]))


def test_the_schemas_leads_schema_events_prints_are_the_ones_checked() -> None:
    """What another team downloads is what the suite validates against."""
    from domain.contract.documents import published_json_schemas

    done = subprocess.run([LEADS, "schema", "events"], capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(done.stdout) == json.loads(json.dumps(published_json_schemas()))
