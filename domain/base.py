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

from eventsourcing.domain import BaseAggregate, CanInitAggregate, CanMutateAggregate, CanSnapshotAggregate
from pydantic import BaseModel, ConfigDict

from domain.errors import InvalidCommand
from domain.limits import unstorable
from domain.values import EventMeta, validated


def unstorable_at(value: Any, path: str = "") -> tuple[str, str] | None:
    """The first text inside ``value`` (nested models, dicts, lists) that cannot be stored, as
    (where, why): NUL characters and lone surrogates, which PostgreSQL and UTF-8 cannot hold."""
    if isinstance(value, str):
        problem = unstorable(value)
        return (path, problem) if problem else None
    if isinstance(value, BaseModel):
        value = value.__dict__
    if isinstance(value, dict):
        for k, v in value.items():
            where = f"{path}.{k}" if path else str(k)
            found = unstorable_at(k, where) or unstorable_at(v, where)
            if found:
                return found
    if isinstance(value, list | tuple | set | frozenset):
        for i, v in enumerate(value):
            found = unstorable_at(v, f"{path}.{i}" if path else str(i))
            if found:
                return found
    return None


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


def refuse_unstorable(values: dict[str, Any]) -> None:
    """No fact may carry text that cannot be stored (NUL, lone surrogates): read models
    (PostgreSQL text) cannot hold it, so such an event would halt every projection. Checked
    where events are born, not on every replay of stored ones; the entrances refuse it earlier,
    naming the field, and this is the backstop for every path."""
    found = unstorable_at(values)
    if found:
        where, why = found
        raise InvalidCommand(f"{where}: {why}" if where else why, field=where or None)


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
        refuse_unstorable(kwargs)
        return validated(lambda: super(Aggregate, cls)._create(event_class, id=id, **kwargs))

    def trigger_event(self, event_class: type[CanMutateAggregate[UUID]], **kwargs: Any) -> None:
        refuse_unstorable(kwargs)
        validated(lambda: super(Aggregate, self).trigger_event(event_class, **kwargs))

    class Event(DomainEvent, CanMutateAggregate[UUID]):
        pass

    class Created(Event, CanInitAggregate[UUID]):
        originator_topic: str


class Snapshot(BaseModel, CanSnapshotAggregate[UUID]):
    """An aggregate's state at a version, so loading it replays only the events since. Stored by
    the same mapper as events; used for aggregates whose history grows with every lead (a
    team's rotation), not for leads."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    originator_id: UUID
    originator_version: int
    timestamp: datetime
    topic: str
    state: dict[str, Any]

    def mutate(self, _: None) -> Any:
        """The library's reconstruction, with its own timestamps read back from their JSON form."""
        aggregate = super().mutate(_)
        for name in ("_created_on", "_modified_on"):
            value = aggregate.__dict__.get(name)
            if isinstance(value, str):
                aggregate.__dict__[name] = datetime.fromisoformat(value)
        return aggregate
