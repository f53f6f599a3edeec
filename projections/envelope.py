"""The one shape of an event that projections see, whatever the source (log or Kafka)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class Envelope:
    """A lead event as published: ``type`` is e.g. ``lead.qualified.v2``; ``payload`` is the
    event's fields as JSON (metadata included), already upcast to the current version."""

    event_id: str
    type: str
    lead_id: UUID
    version: int
    time: datetime
    payload: dict[str, Any]
    notification_id: int | None = None

    @property
    def name(self) -> str:
        """The type without prefix and version, e.g. ``qualified``."""
        return self.type.split(".")[1]

    @property
    def actor(self) -> str:
        return str(self.payload.get("meta", {}).get("actor", ""))
