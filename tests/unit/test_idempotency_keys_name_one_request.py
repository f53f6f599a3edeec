"""An idempotency key names one request (the IETF idempotency-key draft): repeated with the same
request it answers the first result; reused for a different request it is refused, never
silently answered with a result the second request did not ask for."""

from __future__ import annotations

from typing import Any

import pytest

from domain.command_log import CommandRecord
from domain.errors import IdempotencyKeyReused
from domain.service import LeadService
from domain.values import EventMeta, LeadDetails

ADA = LeadDetails(contact_name="Ada Lovelace", email="ada@example.com")


def meta(key: str, fingerprint: str | None) -> EventMeta:
    return EventMeta(actor="rep-1", command_id=key, request_fingerprint=fingerprint)


def test_the_same_key_and_request_answers_the_first_result(service: LeadService) -> None:
    first = service.capture_lead(details=ADA, meta=meta("k", "sha256:a"))
    again = service.capture_lead(details=ADA, meta=meta("k", "sha256:a"))
    assert (again.lead_id, again.replayed) == (first.lead_id, True)


def test_the_same_key_with_another_request_is_refused_and_changes_nothing(service: LeadService) -> None:
    lead = service.capture_lead(details=ADA, meta=meta("k", "sha256:a")).lead_id
    service.assign(lead_id=lead, owner="rep-2", meta=meta("assign", "sha256:b"))
    with pytest.raises(IdempotencyKeyReused, match="different request"):
        service.assign(lead_id=lead, owner="rep-3", meta=meta("assign", "sha256:c"))
    assert service.get_lead(lead).owner == "rep-2"


def test_a_key_recorded_without_a_fingerprint_matches_any_request(service: LeadService) -> None:
    """Records kept before fingerprints (v1), and callers that send none (forms, intake)."""
    lead = service.capture_lead(details=ADA, meta=meta("k", None)).lead_id
    assert service.capture_lead(details=ADA, meta=meta("k", "sha256:z")).lead_id == lead


def test_the_fingerprint_is_kept_in_the_record_never_in_the_events(service: LeadService) -> None:
    lead = service.capture_lead(details=ADA, meta=meta("k", "sha256:a")).lead_id
    stored = service.history(lead)[0]
    assert stored.meta.request_fingerprint is None
    assert "request_fingerprint" not in stored.model_dump(mode="json")["meta"]


def test_a_v1_record_reads_as_one_without_a_fingerprint() -> None:
    state: dict[str, Any] = {"command": "capture", "result": {}}
    CommandRecord.Recorded.upcast_v1_v2(state)
    assert state["fingerprint"] is None
