"""Notifications as published to ``<prefix>notifications``: a CloudEvent per notification,
keyed by recipient, with the notification id as ``ce_id`` so senders downstream can dedupe."""

from __future__ import annotations

from typing import Any

import orjson

NOTIFICATION_TYPE = "lead.notification.v1"
SOURCE = "urn:leads-engine:notifications"


def message(row: dict[str, Any]) -> bytes:
    return orjson.dumps(
        {
            "notification_id": str(row["notification_id"]),
            "recipient": row["recipient"],
            "lead_id": str(row["lead_id"]),
            "lead_version": row["version"],
            "kind": row["kind"],
            "summary": row["summary"],
            "actor": row["actor"],
            "at": row["at"].isoformat(),
        }
    )


def headers(row: dict[str, Any]) -> list[tuple[str, bytes]]:
    values = {
        "ce_specversion": "1.0",
        "ce_id": str(row["notification_id"]),
        "ce_source": SOURCE,
        "ce_type": NOTIFICATION_TYPE,
        "ce_time": row["at"].isoformat(),
        "ce_subject": row["recipient"],
        "content-type": "application/json",
    }
    return [(k, v.encode()) for k, v in values.items()]
