"""What the published contract documents promise other services: an AsyncAPI 3 document with one
message per event and intake type on its channel, CloudEvents headers, JSON payloads, and the
personal fields sealed; JSON Schemas of the payloads without the store's envelope."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import orjson
import pytest

from domain.contract.asyncapi import asyncapi
from domain.contract.documents import CE_HEADERS, _type, event_json_schemas, events_markdown, without_envelope
from domain.contract.envelope import CLASSES, ENVELOPE_FIELDS, event_type
from domain.contract.intake import INTAKE_TYPES
from domain.contract.notifications import Notification, message
from domain.contract.type_names import TYPE_PREFIX, wire_type

TYPES = {
    t.removeprefix(TYPE_PREFIX).replace(".", "_"): t
    for t in [*(wire_type(event_type(c)) for c in CLASSES.values()), *INTAKE_TYPES]
}
"""Each message's id in the document, and the CloudEvents type it stands for."""
PUBLISHED = [m for m, t in TYPES.items() if t not in INTAKE_TYPES]
INTAKE = [m for m, t in TYPES.items() if t in INTAKE_TYPES]


def test_the_document_describes_cloudevents_over_kafka_in_json() -> None:
    doc = asyncapi("acme.")
    assert doc["info"] == {
        "title": "Lead lifecycle engine events",
        "version": "1",
        "description": "CloudEvents 1.0 over Kafka (binary mode): ce_* headers, JSON payloads.",
    }
    assert doc["defaultContentType"] == "application/json"
    assert asyncapi()["channels"]["leadEvents"]["address"] == "leads.lead-events", "the default topic prefix"


def test_the_engine_sends_every_event_type_on_lead_events_and_receives_intake_on_lead_intake() -> None:
    doc = asyncapi("acme.")
    channels = doc["channels"]
    assert channels["leadEvents"]["address"] == "acme.lead-events"
    assert channels["leadEvents"]["messages"] == {m: {"$ref": f"#/components/messages/{m}"} for m in PUBLISHED}
    assert channels["leadIntake"]["address"] == "acme.lead-intake"
    assert channels["leadIntake"]["messages"] == {m: {"$ref": f"#/components/messages/{m}"} for m in INTAKE}
    operations = doc["operations"]
    assert operations["publishLeadEvents"]["action"] == "send"
    assert operations["publishLeadEvents"]["messages"] == [
        {"$ref": f"#/channels/leadEvents/messages/{m}"} for m in PUBLISHED
    ]
    assert operations["receiveLeadIntake"]["action"] == "receive"
    assert operations["receiveLeadIntake"]["messages"] == [
        {"$ref": f"#/channels/leadIntake/messages/{m}"} for m in INTAKE
    ]
    assert TYPES["lead_qualified_v1"] == "org.leads-engine.lead.qualified.v1" and "lead_intake_capture_v1" in INTAKE
    assert TYPES["lead_intake_capture_v1"] == "org.leads-engine.lead.intake.capture.v1"


def test_dead_letters_and_notifications_have_channels_of_their_own() -> None:
    doc = asyncapi("acme.")
    assert doc["channels"]["leadIntakeDlq"]["address"] == "acme.lead-intake.dlq"
    assert list(doc["channels"]["leadIntakeDlq"]["messages"]) == ["lead_intake_dead_letter"]
    assert doc["channels"]["notifications"]["address"] == "acme.notifications"
    assert list(doc["channels"]["notifications"]["messages"]) == ["lead_notification_v1"]


def test_every_message_is_named_by_its_type_with_json_payload_and_cloudevents_headers() -> None:
    doc = asyncapi("acme.")
    messages = doc["components"]["messages"]
    assert list(messages) == [*PUBLISHED, *INTAKE, "lead_intake_dead_letter", "lead_notification_v1"]
    described = {h: {"type": "string", "description": d} for h, d in CE_HEADERS}
    for message_id in [*PUBLISHED, *INTAKE]:
        message = messages[message_id]
        assert message["name"] == message["title"] == TYPES[message_id]
        assert message["contentType"] == "application/json"
        assert message["headers"]["properties"] == described
        assert message["payload"]["type"] == "object"
        assert ("meta" in message["payload"]["properties"]) == (message_id in PUBLISHED)
    assert {"ce_id", "ce_type", "ce_subject", "ce_leadversion"} <= set(
        messages["lead_captured_v1"]["headers"]["required"]
    )
    assert set(messages["lead_intake_capture_v1"]["headers"]["required"]) == {
        "ce_specversion",
        "ce_id",
        "ce_source",
        "ce_type",
    }


def test_a_published_notification_is_what_its_schema_says() -> None:
    row = {
        "notification_id": uuid4(),
        "recipient": "greta",
        "lead_id": uuid4(),
        "version": 3,
        "kind": "assigned",
        "summary": "Ada was assigned to you",
        "actor": "sam",
        "at": datetime.now(UTC),
    }
    assert Notification.model_validate_json(message(row)).recipient == "greta"
    assert set(Notification.model_json_schema()["required"]) == set(orjson.loads(message(row)))


def test_a_messages_summary_is_the_first_line_of_its_description() -> None:
    doc = asyncapi("acme.")
    messages = doc["components"]["messages"]
    absorbed = messages["lead_duplicate_absorbed_v1"]
    assert absorbed["summary"] == "On the master: which lead, which of its fields won, and the children re-linked here."
    assert "\n" in absorbed["payload"]["description"]
    assert messages["lead_followed_v1"]["summary"] == "", "no description, no summary"


def test_shared_definitions_are_components_every_payload_refers_to() -> None:
    doc = asyncapi("acme.")
    schemas = doc["components"]["schemas"]
    assert {"EventMeta", "LeadDetails", "Address", "DisqualifyReason"} <= set(schemas)
    captured = doc["components"]["messages"]["lead_captured_v1"]["payload"]
    assert captured["properties"]["details"] == {"$ref": "#/components/schemas/LeadDetailsAsPublished"}
    intake = doc["components"]["messages"]["lead_intake_capture_v1"]["payload"]
    assert intake["properties"]["contact_name"]["type"] == "string", "intake takes no sealed (null) fields"


def test_events_with_personal_fields_carry_them_sealed_and_the_others_do_not() -> None:
    schemas = event_json_schemas()
    sealed = schemas["org.leads-engine.lead.captured.v1"]["properties"]["personal_data"]
    assert sealed["required"] == ["paths", "sealed"]
    assert "personal_data" not in schemas["org.leads-engine.lead.qualified.v1"]["properties"]


def test_published_schemas_list_no_envelope_field_as_required() -> None:
    for name, schema in event_json_schemas().items():
        assert not set(schema["required"]) & ENVELOPE_FIELDS, name
        assert "meta" in schema["required"], name


def test_a_schema_without_properties_or_required_fields_stays_empty() -> None:
    assert without_envelope({"type": "object"}) == {"type": "object", "properties": {}, "required": []}


def test_the_markdown_shows_references_lists_and_formats_of_fields() -> None:
    text = events_markdown()
    assert "| `to_status` | LeadStatus | yes |" in text
    assert "| `tags` | list of string | no |" in text
    assert "| `originator_id` |" not in text
    assert "| `occurred_at` | date-time or null | no |" in text


@pytest.mark.parametrize(
    ("spec", "shown"),
    [
        ({"enum": ["call", "email"]}, "`call` \\| `email`"),
        ({"type": "array"}, "list of any"),
        ({"type": "array", "items": {"enum": ["a"]}}, "list of `a`"),
        ({}, "any"),
        ({"type": "string", "format": "uuid"}, "uuid"),
    ],
)
def test_the_markdown_names_inline_enumerations_and_untyped_fields(spec: dict[str, Any], shown: str) -> None:
    assert _type(spec) == shown
