"""Whatever a caller puts in a command or an intake message, the engine either records a fact it
can store, read back and publish, or refuses with a typed error naming the field; it never fails
any other way (which an entrance would turn into a 500, or an intake retried for ever)."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from consumers.intake import Rejected, apply_message
from domain.base import DomainEvent
from domain.errors import DomainError, InvalidCommand
from domain.limits import unstorable
from domain.values import EventMeta, LeadDetails
from tests.hostile import hostile_lead, hostile_text, hostile_value
from tests.unit.conftest import in_memory_service, new_lead

META = EventMeta(actor="rep-1")
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def storable(value: Any) -> bool:
    """Every text inside ``value`` can be stored (the JSON round trip proves the rest)."""
    if isinstance(value, str):
        return unstorable(value) is None
    if isinstance(value, dict):
        return all(storable(k) and storable(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(storable(v) for v in value)
    return True


def assert_recorded_facts_are_storable(events: list[DomainEvent]) -> None:
    for event in events:
        payload = event.model_dump(mode="json")
        assert storable(payload), payload
        assert orjson.loads(orjson.dumps(payload)) == payload


@SETTINGS
@given(hostile_lead())
def test_capturing_any_lead_details_records_a_storable_fact_or_names_the_field(fields: dict[str, Any]) -> None:
    service = in_memory_service()
    try:
        details = LeadDetails.model_validate(fields)
    except ValidationError as e:
        assert all(err["loc"] for err in e.errors()), e.errors()
        return
    try:
        result = service.capture_lead(details=details, meta=META)
    except InvalidCommand as e:
        assert e.field
        return
    stored = service.history(result.lead_id)
    assert_recorded_facts_are_storable(stored)
    assert service.get_lead(result.lead_id).details == details


COMMANDS = {
    "assign": lambda s, lead, v: s.assign(lead_id=lead, owner=v, meta=META),
    "contact": lambda s, lead, v: s.contact(lead_id=lead, via=v, meta=META),
    "follow": lambda s, lead, v: s.follow(lead_id=lead, user=v, meta=META),
    "nurture": lambda s, lead, v: s.nurture(lead_id=lead, reason=v, meta=META),
    "adjust_score": lambda s, lead, v: s.adjust_score(lead_id=lead, points=10, reason=v, meta=META),
    "update_details": lambda s, lead, v: s.update_details(lead_id=lead, changes={"company": v}, meta=META),
    "update_bant": lambda s, lead, v: s.update_bant(lead_id=lead, changes={"budget": v}, meta=META),
}


@SETTINGS
@given(st.sampled_from(sorted(COMMANDS)), hostile_text())
def test_any_text_argument_of_a_command_is_recorded_storably_or_refused_as_invalid(command: str, value: str) -> None:
    service = in_memory_service()
    lead = new_lead()
    service.save(lead)
    try:
        COMMANDS[command](service, lead.id, value)
    except (InvalidCommand, ValidationError):
        assert service.get_lead(lead.id).version == lead.version
        return
    except DomainError:
        return
    assert_recorded_facts_are_storable(service.history(lead.id))


INTAKE_TYPES = ["capture", "signal", "assign", "contact", "nurture", "disqualify", "qualify", "reopen"]


def intake_headers(command: str, source: str = "urn:test") -> list[tuple[str, bytes]]:
    return [
        ("ce_specversion", b"1.0"),
        ("ce_id", str(uuid.uuid4()).encode()),
        ("ce_type", f"lead.intake.{command}.v1".encode()),
        ("ce_source", source.encode("utf-8", "surrogatepass")),
        ("ce_time", b"2026-11-20T10:00:00+00:00"),
    ]


@SETTINGS
@given(
    st.sampled_from(INTAKE_TYPES),
    st.dictionaries(
        st.sampled_from(
            [
                "lead_id",
                "contact_name",
                "email",
                "owner",
                "via",
                "kind",
                "detail",
                "reason",
                "text",
                "custom_fields",
                "tags",
            ]
        ),
        hostile_value(),
        max_size=5,
    ),
)
def test_any_intake_message_is_applied_or_rejected_with_a_reason(command: str, data: dict[str, Any]) -> None:
    service = in_memory_service()
    try:
        value = orjson.dumps(data)
    except TypeError:  # orjson cannot write lone surrogates: send the JSON escape another producer would
        value = repr(data).encode("utf-8", "backslashreplace")
    try:
        apply_message(service, intake_headers(command), value)
    except Rejected as e:
        assert e.stage in ("parse", "validate", "domain", "limit") and e.reason


@SETTINGS
@given(hostile_text(max_size=400))
def test_any_publishing_service_name_is_taken_or_rejected(source: str) -> None:
    service = in_memory_service()
    data = orjson.dumps({"contact_name": "Ada", "email": "ada@example.com"})
    try:
        apply_message(service, intake_headers("capture", source), data)
    except Rejected as e:
        assert e.reason
