"""JSON Schemas of what is really on the wire, derived from the models.

A model's own schema describes the event as the engine holds it. On Kafka its personal fields
are sealed: each declared path reads ``null`` and the values travel encrypted under
``personal_data`` (see :mod:`infra.personal_data`). A consumer validating against the model's
schema would reject every real message, so the published schemas allow ``null`` exactly at the
declared personal paths, on copies of the shared definitions (``LeadDetailsAsPublished``), so
that intake's schemas, which take the same models, stay strict.

Also here: the schemas of the notification messages and of the dead-letter and CloudEvents
headers, so every message the engine publishes has a schema to check it against.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from domain.contract.cloudevents import SEALED_FIELD
from domain.contract.notifications import NOTIFICATION_TYPE
from domain.contract.type_names import TYPE_PREFIX, wire_type

SEALED = {
    "type": "object",
    "description": "The personal fields of this event, sealed with the lead's own key (AES-256-GCM, nonce first, "
    "the subject id as associated data); each listed path is null in the payload",
    "properties": {
        "paths": {"type": "array", "items": {"type": "string"}, "description": "Where each value goes"},
        "sealed": {"type": "string", "contentEncoding": "base64"},
    },
    "required": ["paths", "sealed"],
}
SUFFIX = "AsPublished"
NULL = {"type": "null"}
PERSONAL = "Personal data: null on the wire, its value sealed under personal_data"


def tokens(expression: str) -> list[str]:
    """``activities[*].subject`` → ``["activities", "[*]", "subject"]``."""
    return [t for t in re.split(r"\.|(\[\*\])", expression) if t]


def sealed_schema(
    declared: dict[str, Any], schema: dict[str, Any], defs: dict[str, Any], ref_prefix: str
) -> dict[str, Any]:
    """``schema`` (a payload) as published: ``personal_data`` added and every declared path
    nullable. Definitions on the way are copied into ``defs`` under ``<name>AsPublished``."""
    if not declared:
        return schema
    own = defs is schema.get("$defs")
    schema = copy.deepcopy(schema)
    if own:
        defs = schema["$defs"]
    for expression in declared:
        _nullable(schema, tokens(expression), defs, ref_prefix)
    return {**schema, "properties": {**schema.get("properties", {}), SEALED_FIELD: SEALED}}


def _nullable(node: dict[str, Any], path: list[str], defs: dict[str, Any], ref_prefix: str) -> None:
    """Walk ``path`` from ``node`` (through references and unions) and allow null at its end."""
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[1]
        published = name if name.endswith(SUFFIX) else name + SUFFIX
        if published not in defs:
            defs[published] = copy.deepcopy(defs[name])
        node["$ref"] = ref_prefix + published
        node = defs[published]
    for branch in node.get("anyOf", []):
        if branch != NULL:
            _nullable(branch, path, defs, ref_prefix)
    head, rest = path[0], path[1:]
    children: list[tuple[dict[str, Any], str]] = []
    if head == "[*]" and isinstance(node.get("items"), dict):
        children.append((node, "items"))
    elif head == "*":
        children += [(node["properties"], k) for k in node.get("properties", {})]
        if isinstance(node.get("additionalProperties"), dict):
            children.append((node, "additionalProperties"))
    elif head in node.get("properties", {}):
        children.append((node["properties"], head))
    for parent, key in children:
        if rest:
            _nullable(parent[key], rest, defs, ref_prefix)
        else:
            parent[key] = _or_null(parent[key])


def _or_null(spec: dict[str, Any]) -> dict[str, Any]:
    if spec.get("type") == "null" or NULL in spec.get("anyOf", []) or not spec:
        return spec
    kept = {k: spec[k] for k in ("title", "default") if k in spec}
    branch = {k: v for k, v in spec.items() if k not in ("title", "default", "description")}
    described = f"{spec['description']}. {PERSONAL}" if spec.get("description") else PERSONAL
    return {**kept, "anyOf": [branch, NULL], "description": described}


HEADER = {"type": "string"}
DATE_TIME = {"type": "string", "format": "date-time", "pattern": r"(Z|[+-]\d{2}:\d{2})$"}
TRACEPARENT = {
    "type": "string",
    "pattern": r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
    "description": "W3C trace context (tracing on only)",
}
EVENT_HEADERS: dict[str, Any] = {
    "title": "Headers of a lead event (or an account's, contact's or opportunity's)",
    "type": "object",
    "properties": {
        "ce_specversion": {"const": "1.0"},
        "ce_id": {"type": "string", "format": "uuid"},
        "ce_source": {"const": "urn:leads-engine:lead"},
        "ce_type": {
            "type": "string",
            "pattern": "^" + TYPE_PREFIX.replace(".", r"\.") + r"(lead|account|contact|opportunity)\.[a-z_]+\.v\d+$",
        },
        "ce_time": DATE_TIME,
        "ce_subject": {"type": "string", "format": "uuid"},
        "ce_leadversion": {"type": "string", "pattern": r"^[1-9]\d*$"},
        "ce_notificationid": {"type": "string", "pattern": r"^[1-9]\d*$"},
        "content-type": {"const": "application/json"},
        "traceparent": TRACEPARENT,
    },
    "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject", "ce_leadversion"],
}
NOTIFICATION_HEADERS: dict[str, Any] = {
    "title": "Headers of a notification",
    "type": "object",
    "properties": {
        "ce_specversion": {"const": "1.0"},
        "ce_id": {"type": "string", "format": "uuid"},
        "ce_source": {"const": "urn:leads-engine:notifications"},
        "ce_type": {"const": NOTIFICATION_TYPE},
        "ce_time": DATE_TIME,
        "ce_subject": {"type": "string", "minLength": 1},
        "content-type": {"const": "application/json"},
        "traceparent": TRACEPARENT,
    },
    "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject"],
}
DEAD_LETTER_TYPE = wire_type("lead.intake.dead_letter")
"""The key of the dead-letter record's schema: its value is the refused message as received
(any bytes), so the schema describes its headers: the original ones plus ``dlq_*``."""
DEAD_LETTER_HEADERS: dict[str, Any] = {
    "title": "Headers of a dead letter (the original message's headers are kept beside these)",
    "type": "object",
    "properties": {
        "dlq_reason": {"type": "string", "minLength": 1, "description": "What is wrong, and where"},
        "dlq_stage": {"enum": ["limit", "parse", "validate", "domain", "error"]},
        "dlq_topic": {"type": "string", "minLength": 1},
        "dlq_partition": {"type": "string", "pattern": r"^\d+$"},
        "dlq_offset": {"type": "string", "pattern": r"^\d+$"},
        "dlq_time": DATE_TIME,
        "dlq_replayed_from": {"type": "string", "description": "Set on a message replayed from the DLQ: its record"},
    },
    "required": ["dlq_reason", "dlq_stage", "dlq_topic", "dlq_partition", "dlq_offset", "dlq_time"],
}
