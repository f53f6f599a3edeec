"""Intake takes CloudEvents 1.0 with timezone-aware times only, and a refusal says exactly what is
wrong and where (the header or the field), including a capture naming a lead that exists."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from consumers.intake import Rejected, apply_message
from domain.values import EventMeta, LeadDetails
from infra.event_store import StoredLeadService


def message(ce_type: str, data: dict[str, Any], **headers: str) -> tuple[list[tuple[str, bytes]], bytes]:
    base = {
        "ce_specversion": "1.0",
        "ce_id": str(uuid.uuid4()),
        "ce_type": ce_type,
        "ce_source": "urn:partner:acme",
        "ce_time": "2026-11-20T10:00:00+00:00",
    }
    return [(k, v.encode()) for k, v in (base | headers).items()], json.dumps(data).encode()


def refusal(service: StoredLeadService, ce_type: str, data: dict[str, Any], **headers: str) -> tuple[str, str]:
    with pytest.raises(Rejected) as refused:
        apply_message(service, *message(ce_type, data, **headers))
    return refused.value.stage, refused.value.reason


ADA = {"contact_name": "Ada", "email": "ada@example.com"}


@pytest.mark.parametrize("version", ["0.3", "1.1", "", "1"])
def test_a_message_of_another_cloudevents_version_is_refused_naming_the_header(
    service: StoredLeadService, version: str
) -> None:
    stage, reason = refusal(service, "lead.intake.capture.v1", ADA, ce_specversion=version)
    assert (stage, reason) == (
        "parse",
        f"header ce_specversion: {version!r} is not supported; intake takes CloudEvents 1.0 only",
    )


def test_a_message_time_without_a_timezone_is_refused_naming_the_header(service: StoredLeadService) -> None:
    stage, reason = refusal(service, "lead.intake.capture.v1", ADA, ce_time="2026-11-20T10:00:00")
    assert stage == "parse"
    assert reason == "header ce_time: '2026-11-20T10:00:00' has no timezone; add its offset (such as +00:00 or Z)"


def test_a_message_time_that_is_not_a_time_is_refused_naming_the_header(service: StoredLeadService) -> None:
    assert refusal(service, "lead.intake.capture.v1", ADA, ce_time="yesterday") == (
        "parse",
        "header ce_time: 'yesterday' is not an RFC 3339 time",
    )


def test_a_signal_time_without_a_timezone_is_refused_naming_the_field(service: StoredLeadService) -> None:
    lead = service.capture_lead(details=LeadDetails(**ADA), meta=EventMeta(actor="rep-1")).lead_id
    data = {"lead_id": str(lead), "kind": "page_visited", "occurred_at": "2026-11-20T09:00:00"}
    stage, reason = refusal(service, "lead.intake.signal.v1", data)
    assert (stage, reason) == ("validate", "occurred_at: Input should have timezone info")
    aware = data | {"occurred_at": "2026-11-20T09:00:00Z"}
    apply_message(service, *message("lead.intake.signal.v1", aware))


def test_an_aware_time_in_any_offset_is_taken(service: StoredLeadService) -> None:
    apply_message(service, *message("lead.intake.capture.v1", ADA, ce_time="2026-11-20T10:00:00-05:00"))
    apply_message(
        service, *message("lead.intake.capture.v1", ADA | {"email": "b@example.com"}, ce_time="2026-11-20T15:00:00Z")
    )


def test_a_capture_naming_an_existing_lead_is_refused_saying_the_lead_exists(service: StoredLeadService) -> None:
    lead = str(uuid.uuid4())
    apply_message(service, *message("lead.intake.capture.v1", ADA | {"lead_id": lead}))
    stage, reason = refusal(service, "lead.intake.capture.v1", ADA | {"lead_id": lead, "email": "x@example.com"})
    assert stage == "domain"
    assert reason.startswith(f"LeadExists: lead_id: a lead with id {lead} already exists;"), reason
    assert "another writer" not in reason


def test_a_value_that_is_not_json_is_refused_naming_the_value(service: StoredLeadService) -> None:
    headers, _ = message("lead.intake.capture.v1", ADA)
    with pytest.raises(Rejected) as refused:
        apply_message(service, headers, b"{nope")
    assert refused.value.reason.startswith("value: not valid JSON: ")
