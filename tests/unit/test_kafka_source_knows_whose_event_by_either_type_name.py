"""Read models that read only some records' events skip the others by their ``ce_type`` header
before decoding: the header may carry the reverse-DNS prefix (what the engine publishes now) or
not (what earlier releases published, kept on the topic for good)."""

from __future__ import annotations

import pytest

from infra.kafka_source import stream_of


@pytest.mark.parametrize(
    ("ce_type", "stream"),
    [
        ("org.leads-engine.contact.registered.v1", "contact"),
        ("contact.registered.v1", "contact"),
        ("org.leads-engine.lead.captured.v1", "lead"),
        ("lead.captured.v1", "lead"),
        ("org.leads-engine.opportunity.stage_moved.v1", "opportunity"),
    ],
)
def test_a_messages_stream_is_read_from_its_type_with_or_without_the_prefix(ce_type: str, stream: str) -> None:
    assert stream_of([("ce_id", b"x"), ("ce_type", ce_type.encode())]) == stream


def test_a_message_without_a_type_has_no_stream() -> None:
    assert stream_of([("ce_id", b"x")]) is None
