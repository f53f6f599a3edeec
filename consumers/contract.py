"""The published event contract: type names, payloads, and CloudEvents over Kafka (binary mode).

A lead event ``Qualified`` (class_version 1) is published as type ``lead.qualified.v1``, keyed
by the lead id, with ``ce_*`` headers and the event's JSON payload as the value, its personal
fields sealed (``infra.personal_data``). Decoding opens them and upcasts payloads of older
versions with the same upcasters the event store uses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import orjson
from cryptography.exceptions import InvalidTag
from eventsourcing.persistence import Mapper, Notification
from eventsourcing.utils import get_topic

from domain.base import DomainEvent
from domain.lead_events import LEAD_EVENTS
from infra.event_mapper import PydanticMapper, upcast
from infra.personal_data import PersonalData
from projections.envelope import Envelope

SPEC_VERSION = "1.0"
SOURCE = "urn:leads-engine:lead"
EVENT_ID_NAMESPACE = uuid5(NAMESPACE_URL, "urn:leads-engine:event")
ENVELOPE_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic"}


def type_name(cls: type) -> str:
    """``LeadCaptured`` → ``captured``; ``DuplicateAbsorbed`` → ``duplicate_absorbed``."""
    name = cls.__name__.removeprefix("Lead")
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def event_type(cls: type) -> str:
    return f"lead.{type_name(cls)}.v{getattr(cls, 'class_version', 1)}"


CLASSES: dict[str, type[DomainEvent]] = {type_name(c): c for c in LEAD_EVENTS}
LEAD_TOPICS: tuple[str, ...] = tuple(get_topic(c) for c in LEAD_EVENTS)


def event_id(lead_id: UUID, version: int) -> str:
    """Stable per (lead, version), so redeliveries carry the same CloudEvents id."""
    return str(uuid5(EVENT_ID_NAMESPACE, f"{lead_id}:{version}"))


def envelope_of(event: DomainEvent, notification_id: int | None = None) -> Envelope:
    payload = event.model_dump(mode="json", exclude=ENVELOPE_FIELDS)
    return Envelope(
        event_id=event_id(event.originator_id, event.originator_version),
        type=event_type(type(event)),
        lead_id=event.originator_id,
        version=event.originator_version,
        time=event.timestamp,
        payload=payload,
        notification_id=notification_id,
    )


def envelope_from_notification(
    notification: Notification,
    mapper: Mapper[Any],
    *,
    sealed: bool = False,
    keys: Mapping[UUID, bytes | None] | None = None,
) -> Envelope:
    """Straight from the stored JSON (upcast, not re-validated): the relay and the projections
    read every event, and validating each again cost them about half their time. ``sealed``
    keeps personal fields sealed, as the relay publishes them."""
    if not isinstance(mapper, PydanticMapper):
        raise TypeError(f"lead events are stored by {PydanticMapper.__qualname__}, not {type(mapper).__qualname__}")
    cls, state = mapper.decode_state(notification, sealed=sealed, keys=keys)
    time = datetime.fromisoformat(state.pop("timestamp"))
    state.pop("originator_topic", None)
    lead_id = UUID(str(notification.originator_id))
    return Envelope(
        event_id=event_id(lead_id, notification.originator_version),
        type=event_type(cls),
        lead_id=lead_id,
        version=notification.originator_version,
        time=time,
        payload=state,
        notification_id=notification.id,
    )


class ContractError(ValueError):
    """A message does not follow the contract; the message says which part."""


def to_kafka(envelope: Envelope) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """Key, value and headers of the CloudEvents Kafka binding in binary mode."""
    headers = {
        "ce_specversion": SPEC_VERSION,
        "ce_id": envelope.event_id,
        "ce_source": SOURCE,
        "ce_type": envelope.type,
        "ce_time": envelope.time.isoformat(),
        "ce_subject": str(envelope.lead_id),
        "ce_leadversion": str(envelope.version),
        "content-type": "application/json",
    }
    if envelope.notification_id is not None:
        headers["ce_notificationid"] = str(envelope.notification_id)
    return (
        str(envelope.lead_id).encode(),
        orjson.dumps(envelope.payload),
        [(k, v.encode()) for k, v in headers.items()],
    )


def from_kafka(
    headers: list[tuple[str, bytes]],
    value: bytes,
    personal: PersonalData,
    keys: Mapping[UUID, bytes | None] | None = None,
) -> Envelope:
    """Decode our CloudEvents message, opening its sealed personal fields with ``personal``
    (``keys``: those fetched for the batch); raise :class:`ContractError` naming what is wrong."""
    h = {k: v.decode("utf-8", "replace") for k, v in headers or []}
    for required in ("ce_id", "ce_type", "ce_subject", "ce_time", "ce_leadversion"):
        if required not in h:
            raise ContractError(f"missing header {required}")
    m = re.fullmatch(r"lead\.([a-z_]+)\.v(\d+)", h["ce_type"])
    if not m or m.group(1) not in CLASSES:
        raise ContractError(f"unknown event type {h['ce_type']!r}")
    cls = CLASSES[m.group(1)]
    try:
        payload = orjson.loads(value)
        lead_id, version = UUID(h["ce_subject"]), int(h["ce_leadversion"])
        time = datetime.fromisoformat(h["ce_time"])
    except (orjson.JSONDecodeError, ValueError) as e:
        raise ContractError(f"malformed message: {e}") from None
    if not isinstance(payload, dict):
        raise ContractError("the value is not a JSON object")
    try:
        personal.open(cls, lead_id, payload, keys)
    except (InvalidTag, KeyError, TypeError, ValueError) as e:
        raise ContractError(f"its personal_data cannot be opened: {type(e).__name__} {e}") from None
    payload["class_version"] = int(m.group(2))
    upcast(cls, payload)
    return Envelope(
        event_id=h["ce_id"],
        type=event_type(cls),
        lead_id=lead_id,
        version=version,
        time=time,
        payload=payload,
        notification_id=int(h["ce_notificationid"]) if "ce_notificationid" in h else None,
    )
