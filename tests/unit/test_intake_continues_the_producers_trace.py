"""A message carrying its producer's trace context (``traceparent``, as a Kafka header or the
CloudEvents distributed-tracing attribute) is applied inside that trace, and the events it
causes carry it on to the relay and the projections. With tracing off nothing is stored."""

from __future__ import annotations

import uuid

import orjson

from consumers.intake import apply_message
from domain.service import LeadService
from tests.spans import recorded_spans

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PRODUCER = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


def capture(service: LeadService, extra: list[tuple[str, bytes]]) -> uuid.UUID:
    lead = uuid.uuid4()
    headers = [
        ("ce_specversion", b"1.0"),
        ("ce_id", str(uuid.uuid4()).encode()),
        ("ce_type", b"lead.intake.capture.v1"),
        ("ce_source", b"urn:crm"),
        *extra,
    ]
    apply_message(service, headers, orjson.dumps({"lead_id": str(lead), "contact_name": "Ada", "email": "a@x.io"}))
    return lead


def test_a_message_with_a_traceparent_header_is_applied_in_its_producers_trace(service: LeadService) -> None:
    with recorded_spans() as spans:
        lead = capture(service, [("traceparent", PRODUCER.encode())])
    (received,) = [s for s in spans.get_finished_spans() if s.name == "receive lead-intake"]
    assert f"{received.context.trace_id:032x}" == TRACE_ID and received.parent is not None
    assert f"{received.parent.span_id:016x}" == "00f067aa0ba902b7"
    stored = service.history(lead)[0].meta.traceparent
    assert stored is not None and stored.startswith(f"00-{TRACE_ID}-{received.context.span_id:016x}")


def test_the_cloudevents_tracing_attribute_is_read_too(service: LeadService) -> None:
    with recorded_spans():
        lead = capture(service, [("ce_traceparent", PRODUCER.encode())])
    stored = service.history(lead)[0].meta.traceparent
    assert stored is not None and TRACE_ID in stored


def test_with_tracing_off_a_producers_traceparent_is_not_stored(service: LeadService) -> None:
    lead = capture(service, [("traceparent", PRODUCER.encode())])
    assert service.history(lead)[0].meta.traceparent is None


def test_a_malformed_traceparent_is_ignored_not_refused(service: LeadService) -> None:
    with recorded_spans():
        lead = capture(service, [("traceparent", b"00-not-a-trace\x00")])
    assert service.get_lead(lead).version == 1
