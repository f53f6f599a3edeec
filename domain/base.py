"""Aggregate and event base classes: eventsourcing aggregates whose events are pydantic models.

Events are the public contract (they are published to Kafka and their JSON Schemas exported),
so they are declared as typed, frozen pydantic models rather than the library's dataclasses;
``infra.event_mapper`` stores and restores them, applying upcasters by ``class_version``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, ClassVar, Self
from uuid import UUID

from eventsourcing.domain import BaseAggregate, CanInitAggregate, CanMutateAggregate
from pydantic import BaseModel, ConfigDict

from domain.errors import InvalidCommand
from domain.values import EventMeta


def contains_nul(value: Any) -> bool:
    """Whether any text inside ``value`` (nested models, dicts, lists) holds a NUL character."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, BaseModel):
        value = value.__dict__
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return any(contains_nul(v) for v in value)
    return False


class DomainEvent(BaseModel):
    """Common envelope of every stored event: whose, which version, when, and by whom."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    class_version: ClassVar[int] = 1
    personal_data: ClassVar[dict[str, Any]] = {}
    """Paths (JSONPath, into the event's JSON) of the fields that hold personal data, each with
    the value it reads once erased. The event store keeps them encrypted with a key of the
    aggregate's own; erasing destroys the key, so the events stay and these fields read as
    their erased values."""

    originator_id: UUID
    originator_version: int
    timestamp: datetime
    meta: EventMeta

    @classmethod
    def type_name(cls) -> str:
        """The name the contract publishes it under: ``LeadCaptured`` is ``captured``,
        ``DuplicateAbsorbed`` is ``duplicate_absorbed``."""
        name = cls.__name__.removeprefix("Lead")
        return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def upcast(cls: type, state: dict[str, Any]) -> None:
    """Bring a stored or published event's fields up to its class's current version, one
    ``upcast_vN_vN+1`` step at a time, in place (the eventsourcing library's convention)."""
    version = state.pop("class_version", 1)
    target = getattr(cls, "class_version", 1)
    while version < target:
        getattr(cls, f"upcast_v{version}_v{version + 1}")(state)
        version += 1


def refuse_nul(values: dict[str, Any]) -> None:
    """No fact may carry a NUL character: read models (PostgreSQL text) cannot hold one, so
    such an event would halt every projection. Checked where events are born, not on every
    replay of stored ones."""
    if contains_nul(values):
        raise InvalidCommand("text must not contain NUL (0x00) characters")


class Aggregate(BaseAggregate[UUID]):
    """Base for the engine's aggregates; subclasses declare events as nested pydantic models."""

    @classmethod
    def _create(
        cls,
        event_class: type[CanInitAggregate[UUID]],
        *,
        id: UUID | None = None,
        **kwargs: Any,
    ) -> Self:
        refuse_nul(kwargs)
        return super()._create(event_class, id=id, **kwargs)

    def trigger_event(self, event_class: type[CanMutateAggregate[UUID]], **kwargs: Any) -> None:
        refuse_nul(kwargs)
        super().trigger_event(event_class, **kwargs)

    class Event(DomainEvent, CanMutateAggregate[UUID]):
        pass

    class Created(Event, CanInitAggregate[UUID]):
        originator_topic: str
