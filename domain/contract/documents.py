"""The published contract as documents, generated from the event and intake models:
``docs/events.md`` for people, and the payload schemas the AsyncAPI 3 document for tools
(``domain.contract.asyncapi``) is built from."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from domain.contract.cloudevents import SOURCE
from domain.contract.envelope import CLASSES, ENVELOPE_FIELDS, event_type
from domain.contract.intake import MESSAGES, alias, intake_type
from domain.contract.notifications import NOTIFICATION_TYPE, Notification
from domain.contract.type_names import TYPE_PREFIX, wire_type
from domain.contract.wire_schemas import (
    DEAD_LETTER_HEADERS,
    DEAD_LETTER_TYPE,
    EVENT_HEADERS,
    NOTIFICATION_HEADERS,
    sealed_schema,
)

CE_HEADERS: list[tuple[str, str]] = [
    ("ce_specversion", "`1.0`"),
    ("ce_id", "Stable per (lead, version) for published events; the idempotency key for intake"),
    ("ce_source", f"`{SOURCE}` for published events; the publishing service for intake (recorded as the actor)"),
    (
        "ce_type",
        f"`{TYPE_PREFIX}lead.<event>.v<version>` published (`{TYPE_PREFIX}account.`, `contact.`, `opportunity.` for "
        f"the customer master's); `{TYPE_PREFIX}lead.intake.<command>.v1` intake (see Type names)",
    ),
    ("ce_time", "When the event happened (ISO 8601)"),
    ("ce_subject", "The lead id (published events; the account's, contact's or opportunity's id for theirs)"),
    ("ce_leadversion", "The lead's (or record's) version after this event (published events)"),
    ("ce_notificationid", "Position in the event store's log (published events)"),
    ("content-type", "`application/json`"),
    (
        "traceparent",
        "W3C trace context, when tracing is on: published events and notifications continue the trace of "
        "the change; intake continues the producer's",
    ),
]
DLQ_HEADERS: list[tuple[str, str]] = [
    ("dlq_reason", "Why the message was refused"),
    ("dlq_stage", "`parse`, `validate` or `domain`"),
    ("dlq_topic / dlq_partition / dlq_offset", "Where the original message was"),
    ("dlq_time", "When it was refused"),
]


def topics(prefix: str) -> list[tuple[str, str, str, str]]:
    return [
        (
            f"{prefix}lead-events",
            "lead id (record id)",
            "every lead event, and every account, contact and opportunity event, in order per record",
            "unlimited (the audit trail)",
        ),
        (
            f"{prefix}lead-intake",
            "lead id (recommended)",
            "leads, signals and commands from other services",
            "broker default",
        ),
        (
            f"{prefix}lead-intake.dlq",
            "as received",
            "refused intake messages with the reason",
            "`LEADS_DLQ_RETENTION_DAYS` (30 days by default)",
        ),
        (f"{prefix}notifications", "recipient", "feed items and follower notifications", "broker default"),
    ]


def _schemas() -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Payload schema per message name, sharing definitions under components/schemas."""
    published: list[tuple[str, type[BaseModel]]] = [(wire_type(event_type(c)), c) for c in CLASSES.values()]
    intake: list[tuple[str, type[BaseModel]]] = [(intake_type(name), model) for name, model in MESSAGES.items()]
    models = published + intake
    keyed, top = models_json_schema([(m, "validation") for _, m in models], ref_template="#/components/schemas/{model}")
    defs: dict[str, Any] = top.setdefault("$defs", {})
    payloads: dict[str, dict[str, Any]] = {}
    for name, model in models:
        schema = dict(keyed[(model, "validation")])
        if "$ref" in schema:
            schema = dict(defs[schema["$ref"].rsplit("/", 1)[1]])
        payloads[name] = with_sealed_fields(model, without_envelope(schema), defs, "#/components/schemas/")
    return payloads, defs


def payload_schemas() -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Every published event's and intake message's payload schema by type, and their shared
    definitions (for ``domain.contract.asyncapi``)."""
    return _schemas()


def with_sealed_fields(
    model: type[BaseModel], schema: dict[str, Any], defs: dict[str, Any] | None = None, ref_prefix: str = "#/$defs/"
) -> dict[str, Any]:
    """Events with personal fields carry them sealed: null at each declared path, the values
    under ``personal_data`` (``defs``: where the schema's references point)."""
    declared: dict[str, Any] = getattr(model, "personal_data", {}) or {}
    if defs is None:
        defs = schema.setdefault("$defs", {})
    return sealed_schema(declared, schema, defs, ref_prefix)


def without_envelope(schema: dict[str, Any]) -> dict[str, Any]:
    """The payload as published: the store's envelope fields travel as headers instead."""
    properties = {k: v for k, v in schema.get("properties", {}).items() if k not in ENVELOPE_FIELDS}
    required = [r for r in schema.get("required", []) if r not in ENVELOPE_FIELDS]
    return {**schema, "properties": properties, "required": required}


def event_json_schemas() -> dict[str, dict[str, Any]]:
    """A self-contained JSON Schema per published event type (its ``ce_type``), as its payload is on the wire."""
    return {
        wire_type(event_type(cls)): with_sealed_fields(cls, without_envelope(cls.model_json_schema()))
        for cls in CLASSES.values()
    }


def published_json_schemas() -> dict[str, dict[str, Any]]:
    """Every message the engine publishes, by type: each lead event's payload, a notification's
    payload, and the headers of each (``<type>#headers``); a dead letter's value is the refused
    message as received, so its schema is that of its headers."""
    schemas: dict[str, dict[str, Any]] = {}
    for name, schema in event_json_schemas().items():
        schemas[name] = schema
        schemas[f"{name}#headers"] = EVENT_HEADERS
    schemas[NOTIFICATION_TYPE] = Notification.model_json_schema()
    schemas[f"{NOTIFICATION_TYPE}#headers"] = NOTIFICATION_HEADERS
    schemas[f"{DEAD_LETTER_TYPE}#headers"] = DEAD_LETTER_HEADERS
    return schemas


def _message_id(name: str) -> str:
    return name.replace(".", "_")


def events_markdown(prefix: str = "leads.") -> str:
    payloads, _ = _schemas()
    lines = [
        "# Event contract",
        "",
        "Generated by `leads schema docs` from the event and intake models; do not edit by hand.",
        "The machine-readable form is `leads schema asyncapi` (AsyncAPI 3) and `leads schema events` (JSON Schema).",
        "",
        "## Topics",
        "",
        "| topic | key | carries | retention |",
        "| --- | --- | --- | --- |",
        *(f"| `{t}` | {k} | {c} | {r} |" for t, k, c, r in topics(prefix)),
        "",
        "Delivery of `lead-events` is at least once: deduplicate on (`ce_subject`, `ce_leadversion`).",
        "",
        "## Headers (CloudEvents Kafka binding, binary mode)",
        "",
        "| header | meaning |",
        "| --- | --- |",
        *(f"| `{h}` | {d} |" for h, d in CE_HEADERS),
        "",
        "Dead letters keep the original headers and add:",
        "",
        "| header | meaning |",
        "| --- | --- |",
        *(f"| `{h}` | {d} |" for h, d in DLQ_HEADERS),
        "",
        "## Type names",
        "",
        f"Every `ce_type` carries the reverse-DNS prefix `{TYPE_PREFIX}` the CloudEvents spec recommends,",
        f"e.g. `{wire_type('lead.qualified.v1')}`. The engine's own name of an event is the type without",
        "it (`lead.qualified.v1`): that is the `type` of the HTTP API's history and audit export.",
        "Earlier releases published and took the types without the prefix, so readers take both: the",
        "engine reads such events from `lead-events` (they stay there for good), and intake takes the",
        f"old type of every command as an alias (`{alias('capture')}` is `{intake_type('capture')}`).",
        "",
        "## Message types",
        "",
        "Every published payload carries `meta` (actor, channel, command_id, correlation_id, causation_id).",
        "",
        "## Personal data",
        "",
        "Fields that hold personal data are published sealed: null in the payload, their values encrypted",
        "under `personal_data` with a key of the lead's own. Erasing a lead destroys its key, so its events",
        "stay on the topic but those fields can never be read again. The engine's own consumers open them",
        "with the keys in the event store; other services read a lead's personal data through the API,",
        "which forgets it on erasure. Sealed fields (JSONPath) and what they read once erased:",
        "",
        "| event | sealed fields |",
        "| --- | --- |",
        *(f"| `{wire_type(event_type(c))}` | {_sealed(c)} |" for c in CLASSES.values() if c.personal_data),
    ]
    for name, payload in payloads.items():
        lines += ["", f"### `{name}`", ""]
        if payload.get("description"):
            lines += [" ".join(payload["description"].split()), ""]
        lines += ["| field | type | required |", "| --- | --- | --- |"]
        for field, spec in payload["properties"].items():
            lines.append(f"| `{field}` | {_type(spec)} | {'yes' if field in payload['required'] else 'no'} |")
    return "\n".join(lines) + "\n"


def _sealed(cls: type[BaseModel]) -> str:
    declared: dict[str, Any] = getattr(cls, "personal_data", {})
    return ", ".join(f"`{path}` → `{orjson.dumps(erased).decode()}`" for path, erased in declared.items())


def _type(spec: dict[str, Any]) -> str:
    if "$ref" in spec:
        return spec["$ref"].rsplit("/", 1)[1]
    if "anyOf" in spec:
        return " or ".join(_type(s) for s in spec["anyOf"])
    if spec.get("type") == "array":
        return f"list of {_type(spec.get('items', {}))}"
    if "enum" in spec:
        return " \\| ".join(f"`{v}`" for v in spec["enum"])
    return str(spec.get("format") or spec.get("type", "any"))
