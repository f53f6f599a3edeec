"""Lead events (and the customer master's: accounts, contacts, opportunities) on Kafka: the
CloudEvents Kafka binding in binary mode.

Each message is keyed by the lead id (the record's id for a customer event), carries ``ce_*``
headers and the event's JSON payload as its value, with the personal fields sealed (see
:data:`SEALED_FIELD`). Decoding opens them
through a :class:`SealedFields` port and upcasts older versions with the store's upcasters.

``ce_type`` is the event's type behind the reverse-DNS prefix (``org.leads-engine.lead.qualified.v1``,
see :mod:`domain.contract.type_names`); decoding also takes the short type earlier releases
published (``lead.qualified.v1``), since the topic keeps those events forever.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

import orjson

from domain.base import upcast
from domain.contract.envelope import CLASSES, Envelope, event_type
from domain.contract.type_names import short_name, wire_type

SPEC_VERSION = "1.0"
SOURCE = "urn:leads-engine:lead"
SEALED_FIELD = "personal_data"
"""The entry of a stored or published event that holds its sealed personal fields."""


class ContractError(ValueError):
    """A message does not follow the contract; the message says which part."""


class SealedFields(Protocol):
    """Opens the sealed personal fields of an event (the key store is behind it)."""

    def open(
        self, cls: type, subject: UUID, state: dict[str, Any], known: Mapping[UUID, bytes | None] | None = None
    ) -> None: ...


def to_kafka(envelope: Envelope) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """Key, value and headers of the CloudEvents Kafka binding in binary mode."""
    headers = {
        "ce_specversion": SPEC_VERSION,
        "ce_id": envelope.event_id,
        "ce_source": SOURCE,
        "ce_type": wire_type(envelope.type),
        "ce_time": envelope.time.isoformat(),
        "ce_subject": str(envelope.lead_id),
        "ce_leadversion": str(envelope.version),
        "content-type": "application/json",
    }
    if envelope.notification_id is not None:
        headers["ce_notificationid"] = str(envelope.notification_id)
    if envelope.traceparent:
        headers["traceparent"] = envelope.traceparent
    return (
        str(envelope.lead_id).encode(),
        orjson.dumps(envelope.payload),
        [(k, v.encode()) for k, v in headers.items()],
    )


def from_kafka(
    headers: list[tuple[str, bytes]],
    value: bytes,
    personal: SealedFields,
    keys: Mapping[UUID, bytes | None] | None = None,
) -> Envelope:
    """Decode our CloudEvents message, opening its sealed personal fields with ``personal``
    (``keys``: those fetched for the batch); raise :class:`ContractError` naming what is wrong."""
    h = {k: v.decode("utf-8", "replace") for k, v in headers or []}
    for required in ("ce_id", "ce_type", "ce_subject", "ce_time", "ce_leadversion"):
        if required not in h:
            raise ContractError(f"missing header {required}")
    m = re.fullmatch(r"((?:lead|account|contact|opportunity)\.[a-z_]+)\.v(\d+)", short_name(h["ce_type"]))
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
    except Exception as e:
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
        traceparent=h.get("traceparent"),
    )
