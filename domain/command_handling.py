"""How commands are handled: load, act, save atomically, once per command id.

Every command is idempotent by ``meta.command_id`` (the same id twice has one effect and the
second call returns the first result) and guarded by optimistic concurrency (a stale
``expected_version`` is refused; concurrent writers never lose an update). ``batch()`` applies
many commands in memory and saves them in ONE transaction, for consumers of high volume.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError

from domain.base import Aggregate
from domain.command_log import CommandRecord
from domain.errors import InvalidCommand, NotFound, VersionConflict
from domain.lead import Lead
from domain.values import EventMeta

A = TypeVar("A", bound=Aggregate)
COMMAND_NAMESPACE = uuid5(NAMESPACE_URL, "urn:leads-engine:command-id")
SAVE_ATTEMPTS = 3
MAX_EVENTS_PER_SAVE = 400
"""A batch saves at the first command boundary past this many events: psycopg's pipeline
(used by the library's recorder) was seen to hang on single saves of ~900+ events."""


@dataclass(frozen=True)
class CommandResult:
    """What a command did: the lead (or master) and its new version, the log position of the
    last event written (``None`` when replayed from an idempotency record), and any ids the
    command created (account, contact, opportunity)."""

    lead_id: UUID
    version: int
    position: int | None = None
    created: dict[str, UUID] = field(default_factory=dict)
    replayed: bool = False

    def as_record(self) -> dict[str, str | int | None]:
        record: dict[str, str | int | None] = {"lead_id": str(self.lead_id), "version": self.version}
        return record | {k: str(v) for k, v in self.created.items()}

    @classmethod
    def from_record(cls, record: dict[str, str | int | None]) -> CommandResult:
        created = {k: UUID(str(v)) for k, v in record.items() if k not in ("lead_id", "version")}
        return cls(UUID(str(record["lead_id"])), int(record["version"] or 0), None, created, True)


class BatchConflict(Exception):
    """The batch's single save lost a race (another writer, or a command id seen elsewhere);
    nothing was saved. Re-run the commands one by one."""


@dataclass
class UnitOfWork:
    aggregates: dict[UUID, Aggregate] = field(default_factory=dict)
    records: dict[UUID, CommandRecord] = field(default_factory=dict)
    pending: int = 0
    assume_new: bool = False


class CommandApplication(Application[UUID]):
    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env)
        self._local = threading.local()

    @property
    def _uow(self) -> UnitOfWork | None:
        uow: UnitOfWork | None = getattr(self._local, "uow", None)
        return uow

    @contextmanager
    def batch(self, *, assume_new: bool = False) -> Iterator[None]:
        """Commands called inside share loaded aggregates and are saved together: on exit, or
        earlier at a command boundary once ``MAX_EVENTS_PER_SAVE`` events are pending, so a
        command's events always commit together. Every command needs a command id, so that
        after a ``BatchConflict`` re-running them one by one skips those already saved. A
        command refused by the domain changes nothing (guards raise before events exist), so
        the caller may catch its error and go on with the next one.

        ``assume_new`` skips looking up each command id before acting (one query per command):
        a command seen before then makes the save fail on its command record, which already
        exists, and the caller's one-by-one re-run (which does look up) gives it one effect.
        Worth it where repeats are rare, as on a stream of new messages."""
        uow = UnitOfWork(assume_new=assume_new)
        self._local.uow = uow
        try:
            yield
        finally:
            self._local.uow = None
        self._flush(uow)

    def _flush(self, uow: UnitOfWork) -> None:
        try:
            self.save(*uow.aggregates.values(), *uow.records.values())
        except IntegrityError as e:
            raise BatchConflict(str(e)) from None
        self._after_save(list(uow.aggregates.values()))
        uow.records.clear()
        uow.pending = 0

    # -- the one load/save path ---------------------------------------------------------------

    def _change(
        self, command: str, lead_id: UUID, meta: EventMeta, expected_version: int | None, act: Callable[[Lead], None]
    ) -> CommandResult:
        """Load, act, save. Without an expected version a lost race is retried on fresh state
        (the command is re-checked, so no update is lost); with one, it is a conflict."""
        for attempt in range(SAVE_ATTEMPTS):
            done = self._previous_result(command, meta)
            if done:
                return done
            lead = self._load(Lead, lead_id, expected_version)
            act(lead)
            try:
                return self._save(command, meta, lead, lead)
            except VersionConflict:
                if expected_version is not None or attempt == SAVE_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no mutate: the loop above always returns or raises

    def _load(self, cls: type[A], aggregate_id: UUID, expected_version: int | None, *, version: int | None = None) -> A:
        uow = self._uow if version is None else None
        if uow and aggregate_id in uow.aggregates:
            aggregate: Aggregate = uow.aggregates[aggregate_id]
        else:
            try:
                aggregate = self.repository.get(aggregate_id, version=version)
            except AggregateNotFoundError:
                raise NotFound(cls.__name__.lower(), aggregate_id) from None
            self._after_load(aggregate)
        if uow:
            uow.aggregates[aggregate_id] = aggregate
        if not isinstance(aggregate, cls):
            raise NotFound(cls.__name__.lower(), aggregate_id)
        if expected_version is not None and aggregate.version != expected_version:
            raise VersionConflict(aggregate_id=aggregate_id, expected=expected_version, actual=aggregate.version)
        return aggregate

    def _load_page(self, cls: type[A], aggregate_ids: Sequence[UUID]) -> list[A]:
        """These aggregates as they are now, in order, those not found (or of another kind)
        left out: one query each here; an event store that reads many in one query says so by
        overriding this (``infra.event_store``), for background work over pages of leads."""
        found = []
        for aggregate_id in aggregate_ids:
            try:
                found.append(self._load(cls, aggregate_id, None))
            except NotFound:
                continue
        return found

    def _after_load(self, aggregate: Aggregate) -> None:
        """Note what the save of a change will compare against (a lead's holder, say)."""

    def _before_save(self, aggregates: Sequence[Aggregate]) -> None:
        """Stage what must be written with these aggregates, in their transaction."""

    def _after_save(self, aggregates: Sequence[Aggregate]) -> None:
        """These aggregates were committed as they are now."""

    def _save(
        self,
        command: str,
        meta: EventMeta,
        primary: Aggregate,
        *aggregates: Aggregate,
        created: dict[str, UUID] | None = None,
    ) -> CommandResult:
        self._before_save(aggregates)
        result = CommandResult(primary.id, primary.version, created=created or {})
        record = None
        if meta.command_id:
            record = CommandRecord.record(
                record_id=self._record_id(meta), command=command, result=result.as_record(), meta=meta
            )
        uow = self._uow
        if uow:
            if record is None:
                raise InvalidCommand("commands in a batch need a command id", field="command_id")
            uow.aggregates.update((a.id, a) for a in aggregates)
            uow.records[record.id] = record
            uow.pending += sum(len(a.pending_events) for a in aggregates) + 1
            if uow.pending >= MAX_EVENTS_PER_SAVE:
                self._flush(uow)
            return result
        try:
            recordings = self.save(*aggregates, record)
        except IntegrityError:
            done = self._previous_result(command, meta)
            if done:
                return done
            raise VersionConflict(aggregate_id=primary.id, expected=None, actual=None) from None
        self._after_save(aggregates)
        position = max((r.notification.id for r in recordings), default=None)
        return CommandResult(primary.id, primary.version, position, created or {})

    def _previous_result(self, command: str, meta: EventMeta) -> CommandResult | None:
        if not meta.command_id:
            return None
        record_id = self._record_id(meta)
        uow = self._uow
        if uow and uow.assume_new and record_id not in uow.records:
            return None
        try:
            record: Aggregate = (
                uow.records[record_id] if uow and record_id in uow.records else self.repository.get(record_id)
            )
        except AggregateNotFoundError:
            return None
        assert isinstance(record, CommandRecord)
        record.check_same_request(command=command, meta=meta)
        return CommandResult.from_record(record.result)

    @staticmethod
    def _record_id(meta: EventMeta) -> UUID:
        return uuid5(COMMAND_NAMESPACE, meta.command_id or "")
