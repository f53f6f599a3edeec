"""Intake reads a record as a CloudEvent in either mode of the Kafka binding, and anything else
(hostile or merely wrong) is Unreadable with a reason: never a crash, never a made-up id."""

from __future__ import annotations

import base64

import orjson
import pytest

from consumers.intake_parsing import Unreadable, read_event

STRUCTURED = [("content-type", b"application/cloudevents+json")]
EVENT = {"specversion": "1.0", "id": "e-1", "source": "urn:crm", "type": "lead.intake.capture.v1"}


def test_binary_mode_reads_attributes_from_headers_and_data_from_the_value() -> None:
    headers = [(f"ce_{k}", v.encode()) for k, v in EVENT.items()] + [("ce_correlationid", b"c-9")]
    event = read_event(headers, b"key", b'{"contact_name": "Ada"}')
    assert (event["id"], event["type"], event.get("correlationid"), event.get_data()) == (
        "e-1",
        "lead.intake.capture.v1",
        "c-9",
        {"contact_name": "Ada"},
    )


def test_structured_mode_reads_the_whole_event_from_the_value() -> None:
    event = read_event(STRUCTURED, None, orjson.dumps(EVENT | {"data": {"contact_name": "Ada"}}))
    assert (event["id"], event["source"], event.get_data()) == ("e-1", "urn:crm", {"contact_name": "Ada"})


def test_structured_mode_reads_base64_data() -> None:
    data = base64.b64encode(b'{"contact_name": "Ada"}').decode()
    event = read_event(STRUCTURED, None, orjson.dumps(EVENT | {"data_base64": data}))
    assert event.get_data() == {"contact_name": "Ada"}


@pytest.mark.parametrize(
    ("headers", "value", "reason"),
    [
        (STRUCTURED, orjson.dumps({k: v for k, v in EVENT.items() if k != "id"}), "missing CloudEvents attributes: id"),
        ([("ce_specversion", b"1.0"), ("ce_type", b"t"), ("ce_source", b"s")], b"{}", "attributes: id"),
        (STRUCTURED, b"[1, 2]", "not a CloudEvent"),
        (STRUCTURED, b"{not json", "value: not valid JSON"),
        (STRUCTURED, b"", "value: not valid JSON"),
        (STRUCTURED, orjson.dumps(EVENT | {"data_base64": "%%%"}), "not a CloudEvent"),
        (STRUCTURED, orjson.dumps(EVENT | {"specversion": "0.1"}), "attribute specversion: '0.1' is not supported"),
        ([(f"ce_{k}", v.encode()) for k, v in EVENT.items()] + [("ce_x", b"\xff\xfe")], b"{}", "not a CloudEvent"),
        ([(f"ce_{k}", v.encode()) for k, v in EVENT.items()], b'{"a": "\\ud800"}', "value: not valid JSON"),
        ([(f"ce_{k}", v.encode()) for k, v in EVENT.items()], b"\x00", "value: not valid JSON"),
    ],
)
def test_what_is_not_a_cloudevent_is_unreadable_with_a_reason(
    headers: list[tuple[str, bytes]], value: bytes, reason: str
) -> None:
    with pytest.raises(Unreadable, match=reason):
        read_event(headers, None, value)
