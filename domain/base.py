"""Aggregate and event base classes: eventsourcing aggregates whose events are pydantic models.

Events are the public contract (they are published to Kafka and their JSON Schemas exported),
so they are declared as typed, frozen pydantic models rather than the library's dataclasses;
``infra.event_mapper`` stores and restores them, applying upcasters by ``class_version``.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import BaseAggregate, CanInitAggregate, CanMutateAggregate
from pydantic import BaseModel, ConfigDict

from domain.values import EventMeta


class DomainEvent(BaseModel):
    """Common envelope of every stored event: whose, which version, when, and by whom."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    class_version: ClassVar[int] = 1

    originator_id: UUID
    originator_version: int
    timestamp: datetime
    meta: EventMeta


class Aggregate(BaseAggregate[UUID]):
    """Base for the engine's aggregates; subclasses declare events as nested pydantic models."""

    class Event(DomainEvent, CanMutateAggregate[UUID]):
        pass

    class Created(Event, CanInitAggregate[UUID]):
        originator_topic: str
