"""Lead events as other services receive them: CloudEvents in Kafka binary mode, keyed by lead,
personal fields sealed on the wire, a stable id per (lead, version) to deduplicate on, older
versions upcast when read; anything else refused naming what is wrong."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import orjson
import pytest

from domain.contract.cloudevents import ContractError, from_kafka, to_kafka
from domain.contract.envelope import Envelope, envelope_of, event_id
from domain.contract.notifications import headers as notification_headers
from domain.contract.notifications import message as notification_message
from domain.picklists import DisqualifyReason
from domain.values import ERASED
from infra.event_store import StoredEventLog, StoredLeadService
from tests.unit.test_commands_through_the_service import new
from tests.unit.test_erasure import PERSON, SECRETS
from tests.unit.test_service import meta

LEAD = UUID("00000000-0000-4000-8000-000000000001")
AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def worked(service: StoredLeadService) -> UUID:
    lead = new(service, PERSON)
    service.contact(lead_id=lead, via="call", meta=meta())
    service.disqualify(lead_id=lead, reason=DisqualifyReason.NO_BUDGET, text="maybe in spring", meta=meta("dq-1"))
    return lead


def published(service: StoredLeadService) -> tuple[list[Envelope], list[Envelope]]:
    """The log as the relay publishes it (sealed) and as the engine's own readers see it."""
    log = StoredEventLog(service)
    sealed, _ = log.read(start=1, limit=100, sealed=True)
    opened, _ = log.read(start=1, limit=100)
    return sealed, opened


class NoSealedFields:
    def open(
        self, cls: type, subject: UUID, state: dict[str, Any], known: Mapping[UUID, bytes | None] | None = None
    ) -> None:
        pass


class Broken:
    def open(
        self, cls: type, subject: UUID, state: dict[str, Any], known: Mapping[UUID, bytes | None] | None = None
    ) -> None:
        raise ValueError("no key")


def test_an_event_read_back_from_kafka_is_the_event_the_log_holds(service: StoredLeadService) -> None:
    lead = worked(service)
    sealed, opened = published(service)
    assert [e.name for e in opened] == ["captured", "contacted", "disqualified"]
    wire = [to_kafka(e) for e in sealed]
    assert not [s for s in SECRETS if any(s in value.decode() for _, value, _ in wire)], "personal fields are sealed"
    read = [from_kafka(headers, value, service.personal) for _, value, headers in wire]
    assert read == opened
    assert read[0].lead_id == lead and read[0].payload["details"]["contact_name"] == PERSON.contact_name


def test_an_erased_leads_message_reads_with_its_personal_fields_erased(service: StoredLeadService) -> None:
    lead = worked(service)
    sealed, _ = published(service)
    service.keys.erase([lead])
    _, value, headers = to_kafka(sealed[0])
    details = from_kafka(headers, value, service.personal).payload["details"]
    assert (details["contact_name"], details["email"], details["company"]) == (ERASED, None, PERSON.company)


def test_a_batch_reads_its_messages_with_the_keys_fetched_for_it(service: StoredLeadService) -> None:
    """A consumer fetches the keys of a whole batch at once; a key erased after that fetch still
    opens the batch's messages, and one erased before it does not, whatever the store says now."""
    lead = worked(service)
    sealed, _ = published(service)
    _, value, headers = to_kafka(sealed[0])
    fetched = service.keys.keys_for_reading([lead])
    service.keys.erase([lead])
    assert from_kafka(headers, value, service.personal, fetched).payload["details"]["email"] == PERSON.email
    assert from_kafka(headers, value, service.personal, {lead: None}).payload["details"]["email"] is None


def test_a_header_that_is_not_utf_8_does_not_stop_a_message_being_read() -> None:
    read = from_kafka([*message(), ("traceparent", b"\xff\xfe")], b"{}", NoSealedFields())
    assert (read.lead_id, read.version) == (LEAD, 4)


def test_a_message_is_keyed_by_its_lead_and_carries_cloudevents_headers(service: StoredLeadService) -> None:
    lead = worked(service)
    sealed, _ = published(service)
    event = sealed[-1]
    key, value, headers = to_kafka(event)
    assert key == str(lead).encode()
    assert orjson.loads(value) == event.payload
    assert headers == [
        ("ce_specversion", b"1.0"),
        ("ce_id", event_id(lead, 3).encode()),
        ("ce_source", b"urn:leads-engine:lead"),
        ("ce_type", b"org.leads-engine.lead.disqualified.v2"),
        ("ce_time", event.time.isoformat().encode()),
        ("ce_subject", str(lead).encode()),
        ("ce_leadversion", b"3"),
        ("content-type", b"application/json"),
        ("ce_notificationid", str(event.notification_id).encode()),
    ]
    assert event.actor == "rep-1" and event.payload["meta"]["command_id"] == "dq-1"


def test_an_event_not_from_the_log_has_no_position_header() -> None:
    event = Envelope(event_id="e1", type="lead.qualified.v1", lead_id=LEAD, version=4, time=AT, payload={})
    _, _, headers = to_kafka(event)
    assert "ce_notificationid" not in dict(headers)
    read = from_kafka(headers, b"{}", NoSealedFields())
    assert (read.notification_id, read.version, read.time, read.event_id) == (None, 4, AT, "e1")


def test_an_events_id_is_stable_per_lead_and_version_across_releases() -> None:
    """Consumers deduplicate on it, so the same (lead, version) must keep its id for good."""
    assert event_id(LEAD, 1) == "5093bcfd-1ed4-580e-aabd-6320086aa1f2"
    assert len({event_id(LEAD, 1), event_id(LEAD, 2), event_id(UUID(int=2), 1)}) == 3


def test_the_history_shows_each_event_as_the_log_publishes_it(service: StoredLeadService) -> None:
    lead = worked(service)
    _, opened = published(service)
    shown = [envelope_of(e, n.notification_id) for e, n in zip(service.history(lead), opened, strict=True)]
    assert shown == opened


def message(**headers: str) -> list[tuple[str, bytes]]:
    base = {
        "ce_id": "e1",
        "ce_type": "org.leads-engine.lead.qualified.v1",
        "ce_subject": str(LEAD),
        "ce_time": AT.isoformat(),
        "ce_leadversion": "4",
    }
    return [(k, v.encode()) for k, v in (base | headers).items()]


@pytest.mark.parametrize("missing", ["ce_id", "ce_type", "ce_subject", "ce_time", "ce_leadversion"])
def test_a_message_without_a_required_header_is_refused_naming_it(missing: str) -> None:
    headers = [(k, v) for k, v in message() if k != missing]
    with pytest.raises(ContractError, match=f"^missing header {missing}$"):
        from_kafka(headers, b"{}", NoSealedFields())


def test_a_message_with_no_headers_at_all_is_refused() -> None:
    with pytest.raises(ContractError, match=r"^missing header ce_id$"):
        from_kafka(None, b"{}", NoSealedFields())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "ce_type",
    [
        "lead.teleported.v1",
        "org.leads-engine.lead.teleported.v1",
        "lead.Qualified.v1",
        "qualified",
        "lead.qualified",
        "com.example.lead.qualified.v1",
        "org.leads-engine.org.leads-engine.lead.qualified.v1",
        "org.leads-engine.",
    ],
)
def test_a_message_of_an_unknown_type_is_refused_naming_the_type(ce_type: str) -> None:
    """Another producer's type that ends like ours is not ours: only our prefix, or none, is read."""
    with pytest.raises(ContractError) as refused:
        from_kafka(message(ce_type=ce_type), b"{}", NoSealedFields())
    assert str(refused.value) == f"unknown event type {ce_type!r}"


@pytest.mark.parametrize(
    ("headers", "value"),
    [
        ({}, b"{not json"),
        ({"ce_subject": "lead-1"}, b"{}"),
        ({"ce_leadversion": "four"}, b"{}"),
        ({"ce_time": "yesterday"}, b"{}"),
    ],
    ids=["value", "subject", "version", "time"],
)
def test_a_malformed_message_is_refused_as_malformed(headers: dict[str, str], value: bytes) -> None:
    with pytest.raises(ContractError, match=r"^malformed message: "):
        from_kafka(message(**headers), value, NoSealedFields())


def test_a_message_whose_value_is_not_an_object_is_refused() -> None:
    with pytest.raises(ContractError, match=r"^the value is not a JSON object$"):
        from_kafka(message(), b"[1, 2]", NoSealedFields())


def test_a_message_whose_personal_fields_cannot_be_opened_is_refused_saying_why() -> None:
    with pytest.raises(ContractError) as refused:
        from_kafka(message(), b"{}", Broken())
    assert str(refused.value) == "its personal_data cannot be opened: ValueError no key"


def test_an_event_published_before_types_carried_the_prefix_is_read_as_the_same_event() -> None:
    """The events topic keeps every event for good, so those an earlier release published under
    the short type are still read (rebuilds from Kafka, consumers that start from the beginning)."""
    old = from_kafka(message(ce_type="lead.qualified.v1"), b"{}", NoSealedFields())
    new = from_kafka(message(), b"{}", NoSealedFields())
    assert old == new and (new.type, new.name) == ("lead.qualified.v1", "qualified")


@pytest.mark.parametrize("ce_type", ["lead.disqualified.v1", "org.leads-engine.lead.disqualified.v1"])
def test_an_older_version_is_read_as_the_current_one(ce_type: str) -> None:
    v1 = orjson.dumps({"reason": "said no", "meta": {"actor": "legacy"}})
    read = from_kafka(message(ce_type=ce_type, ce_notificationid="17"), v1, NoSealedFields())
    assert (read.type, read.name, read.notification_id) == ("lead.disqualified.v2", "disqualified", 17)
    assert read.payload == {"reason_code": "other", "reason_text": "said no", "meta": {"actor": "legacy"}}
    assert read.actor == "legacy"


def test_a_notification_is_a_cloudevent_for_its_recipient() -> None:
    row = {
        "notification_id": UUID(int=7),
        "recipient": "rep-2",
        "lead_id": LEAD,
        "version": 3,
        "kind": "assigned",
        "summary": "Ada Lovelace was assigned to you",
        "actor": "manager-1",
        "at": AT,
    }
    assert orjson.loads(notification_message(row)) == {
        "notification_id": str(UUID(int=7)),
        "recipient": "rep-2",
        "lead_id": str(LEAD),
        "lead_version": 3,
        "kind": "assigned",
        "summary": "Ada Lovelace was assigned to you",
        "actor": "manager-1",
        "at": "2026-11-02T09:30:00+00:00",
    }
    assert notification_headers(row) == [
        ("ce_specversion", b"1.0"),
        ("ce_id", str(UUID(int=7)).encode()),
        ("ce_source", b"urn:leads-engine:notifications"),
        ("ce_type", b"org.leads-engine.lead.notification.v1"),
        ("ce_time", b"2026-11-02T09:30:00+00:00"),
        ("ce_subject", b"rep-2"),
        ("content-type", b"application/json"),
    ]
