"""Notifications as published to ``<prefix>notifications``: a CloudEvent per notification,
keyed by recipient, with the notification id as ``ce_id`` so senders downstream can dedupe.
The payload is :class:`Notification`, whose JSON Schema is published with the events'."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain.contract.type_names import wire_type

NOTIFICATION_TYPE = wire_type("lead.notification.v1")
SOURCE = "urn:leads-engine:notifications"


class Notification(BaseModel):
    """A feed item or follower notification for one recipient."""

    model_config = ConfigDict(frozen=True, extra="forbid", title=NOTIFICATION_TYPE)

    notification_id: UUID = Field(description="Also the message's ce_id: dedupe on it")
    recipient: str = Field(min_length=1, description="The user to tell; also the message key")
    lead_id: UUID
    lead_version: int = Field(ge=1, description="The lead's version after the event this is about")
    kind: str = Field(min_length=1)
    summary: str
    actor: str = Field(description="Who made the change (never the recipient)")
    at: AwareDatetime


def message(row: dict[str, Any]) -> bytes:
    notification = Notification(
        notification_id=row["notification_id"],
        recipient=row["recipient"],
        lead_id=row["lead_id"],
        lead_version=row["version"],
        kind=row["kind"],
        summary=row["summary"],
        actor=row["actor"],
        at=row["at"],
    )
    return orjson.dumps(notification.model_dump())


def headers(row: dict[str, Any], *, traceparent: str | None = None) -> list[tuple[str, bytes]]:
    """``traceparent``: the trace the notification continues (tracing on), sent as its header."""
    at: datetime = row["at"]
    values = {
        "ce_specversion": "1.0",
        "ce_id": str(row["notification_id"]),
        "ce_source": SOURCE,
        "ce_type": NOTIFICATION_TYPE,
        "ce_time": at.isoformat(),
        "ce_subject": row["recipient"],
        "content-type": "application/json",
    }
    if traceparent:
        values["traceparent"] = traceparent
    return [(k, v.encode()) for k, v in values.items()]
