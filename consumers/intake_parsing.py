"""Reading an intake record as a CloudEvent with the ``cloudevents`` SDK, in either mode the
CloudEvents Kafka binding allows: binary (attributes in ``ce_*`` headers, the data as the value)
or structured (``content-type: application/cloudevents+json``, the whole event as the value)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from cloudevents.v1.http import CloudEvent
from cloudevents.v1.kafka import KafkaMessage, from_binary, from_structured

from domain.contract.cloudevents import SPEC_VERSION

STRUCTURED = "application/cloudevents"
REQUIRED = ("specversion", "id", "type", "source")


class Unreadable(ValueError):
    """The record is no CloudEvent we can take; the message says why."""


class IntakeEvent(CloudEvent):
    """A CloudEvent that must carry its own id: the SDK would make one up, and the id is the
    message's idempotency key, so a made-up one would apply a redelivered message twice."""

    @classmethod
    def create(cls, attributes: Mapping[str, Any], data: Any | None) -> IntakeEvent:
        missing = [name for name in REQUIRED if name not in attributes]
        if missing:
            raise Unreadable(f"missing CloudEvents attributes: {', '.join(missing)}")
        return cls(attributes, data)


def _embedded(data: Any) -> Any:
    """Structured mode's ``data`` is JSON already; ``data_base64`` arrives as bytes."""
    return orjson.loads(data) if isinstance(data, bytes) else data


def is_structured(headers: dict[str, bytes]) -> bool:
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), b"")
    return content_type.decode("latin-1").strip().lower().startswith(STRUCTURED)


def read_event(headers: list[tuple[str, bytes]], key: bytes | None, value: bytes | None) -> IntakeEvent:
    """The record as a CloudEvent, or :class:`Unreadable` saying what is wrong."""
    by_name = dict(headers or [])
    message = KafkaMessage(headers=by_name, key=key, value=value or b"")
    structured = is_structured(by_name)
    try:
        parsed = orjson.loads(value or b"")
    except orjson.JSONDecodeError as e:
        raise Unreadable(f"value: not valid JSON: {e}") from None
    # the SDK reads other versions (0.3) too, or refuses them without naming where: checked first
    version = parsed.get("specversion") if structured and isinstance(parsed, dict) else by_name.get("ce_specversion")
    if version is not None and _text(version) != SPEC_VERSION:
        where = "attribute specversion" if structured else "header ce_specversion"
        raise Unreadable(f"{where}: {_text(version)!r} is not supported; intake takes CloudEvents 1.0 only")
    try:
        if structured:
            event = from_structured(
                message,
                event_type=IntakeEvent,
                data_unmarshaller=_embedded,
                envelope_unmarshaller=lambda _: parsed,
            )
        else:
            event = from_binary(message, event_type=IntakeEvent, data_unmarshaller=lambda _: parsed)
    except Unreadable:
        raise
    except Exception as e:  # the SDK's own errors, a header that is not UTF-8, an envelope not an object
        raise Unreadable(f"not a CloudEvent: {type(e).__name__}: {e}") from None
    assert isinstance(event, IntakeEvent)
    return event


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def text(event: CloudEvent, name: str) -> str | None:
    value = event.get(name)
    return None if value is None else str(value)
