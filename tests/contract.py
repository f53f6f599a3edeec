"""Checks a message the engine published against the JSON Schema the engine publishes for its
type (``leads schema events``), as a consumer in another team would, with ``jsonschema``.

The session-wide hook in ``tests/conftest.py`` records every message the engine's producers send
to the events, notifications and dead-letter topics during a test and checks them all when it
ends; ``tests/integration/test_published_messages_match_their_schemas.py`` drives every event type
through the relay and checks what a plain consumer reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import orjson
from jsonschema import Draft202012Validator

from domain.contract.documents import published_json_schemas
from domain.contract.notifications import NOTIFICATION_TYPE
from domain.contract.wire_schemas import DEAD_LETTER_TYPE


@dataclass(frozen=True)
class Published:
    topic: str
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]]


@cache
def validator(name: str) -> Draft202012Validator:
    schemas = published_json_schemas()
    if name not in schemas:
        raise AssertionError(f"the engine publishes no schema for {name!r}")
    return Draft202012Validator(schemas[name], format_checker=Draft202012Validator.FORMAT_CHECKER)


def problems(name: str, instance: Any) -> list[str]:
    return [
        f"{name} at /{'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
        for e in validator(name).iter_errors(instance)
    ]


def kind_of(topic: str) -> str | None:
    """Which of the engine's published topics ``topic`` is (None: not one the engine publishes)."""
    for suffix, kind in (("lead-events", "event"), ("notifications", "notification"), ("lead-intake.dlq", "dlq")):
        if topic.endswith(suffix):
            return kind
    return None


def violations(message: Published) -> list[str]:
    """What in ``message`` breaks its published schema (empty: it conforms)."""
    kind = kind_of(message.topic)
    headers = {k: v.decode("utf-8", "replace") for k, v in message.headers or []}
    if kind == "dlq":
        return problems(f"{DEAD_LETTER_TYPE}#headers", headers)
    if kind is None:
        return []
    name = NOTIFICATION_TYPE if kind == "notification" else headers.get("ce_type", "<no ce_type>")
    try:
        payload = orjson.loads(message.value or b"")
    except orjson.JSONDecodeError as e:
        return [f"{name}: the value is not JSON: {e}"]
    found = problems(name, payload) + problems(f"{name}#headers", headers)
    if kind == "event" and message.key != headers.get("ce_subject", "").encode():
        found.append(f"{name}: keyed {message.key!r}, not by its lead (ce_subject)")
    return found
