"""The byte limits that no HTTP test reaches: an intake message and a recorded event, each at its
limit and one byte past it."""

from __future__ import annotations

import orjson
import pytest

from consumers.intake import Rejected, apply_message
from domain import limits
from domain.errors import InvalidCommand
from domain.limits import Limits
from domain.values import EventMeta, LeadDetails
from tests.unit.conftest import in_memory_service
from tests.unit.test_hostile_values import intake_headers


def capture_of_size(size: int, headers: list[tuple[str, bytes]]) -> bytes:
    """An intake capture whose value and headers come to exactly ``size`` bytes."""
    base = {"contact_name": "Ada", "email": "ada@example.com", "custom_fields": {"pad": ""}}
    empty = len(orjson.dumps(base)) + sum(len(k) + len(v) for k, v in headers)
    return orjson.dumps(base | {"custom_fields": {"pad": "p" * (size - empty)}})


def test_an_intake_message_at_its_limit_is_applied_and_one_byte_more_is_dead_lettered() -> None:
    limits.configure(Limits(intake_message_bytes=2048, custom_field_value=5000))
    service = in_memory_service()
    headers = intake_headers("capture")
    apply_message(service, headers, capture_of_size(2048, headers))
    headers = intake_headers("capture")
    with pytest.raises(Rejected, match="2049 bytes; intake takes at most 2048") as refused:
        apply_message(service, headers, capture_of_size(2049, headers))
    assert refused.value.stage == "limit"


def stored_size(details: LeadDetails) -> int:
    """The bytes the first event of a lead with these details takes in the store."""
    service = in_memory_service()
    lead = service.capture_lead(details=details, meta=EventMeta(actor="a")).lead_id
    stored = service.recorder.select_events(lead)  # type: ignore[attr-defined]
    return len(stored[0].state)


def test_an_event_at_its_limit_is_recorded_and_one_byte_more_is_refused() -> None:
    limits.configure(Limits(custom_field_value=100_000))
    details = LeadDetails(contact_name="Ada", email="ada@example.com", custom_fields={"notes": "n" * 70_000})
    size = stored_size(details)
    limits.configure(Limits(custom_field_value=100_000, event_bytes=size))
    in_memory_service().capture_lead(details=details, meta=EventMeta(actor="a"))
    limits.configure(Limits(custom_field_value=100_000, event_bytes=size - 1))
    with pytest.raises(InvalidCommand, match=f"event of {size} bytes; events are limited to {size - 1}"):
        in_memory_service().capture_lead(details=details, meta=EventMeta(actor="a"))
