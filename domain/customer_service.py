"""Commands and write-side reads on the customer master: an opportunity's stage, amount,
probability and close date (each change an event); tasks, reminders and followers of an account
or an opportunity; and the history of an account, a contact or an opportunity."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import TypeVar
from uuid import UUID

from domain.base import Aggregate, DomainEvent
from domain.command_handling import SAVE_ATTEMPTS, CommandApplication, CommandResult
from domain.customers import Account, Contact, Opportunity
from domain.errors import NotFound, VersionConflict
from domain.record_work import RecordWork
from domain.records import Task
from domain.values import EventMeta

KINDS: dict[str, type[Account | Contact | Opportunity]] = {
    "account": Account,
    "contact": Contact,
    "opportunity": Opportunity,
}
WORKABLE: dict[str, type[RecordWork]] = {"account": Account, "opportunity": Opportunity}
"""The records that carry tasks and followers besides the lead."""
A = TypeVar("A", bound=Aggregate)


class CustomerCommands(CommandApplication):
    def change_opportunity(
        self,
        *,
        opportunity_id: UUID,
        meta: EventMeta,
        stage: str | None = None,
        amount: Decimal | None = None,
        probability: int | None = None,
        close_date: date | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._on_record(
            "change_opportunity",
            Opportunity,
            opportunity_id,
            meta,
            expected_version,
            lambda o: o.change(meta=meta, stage=stage, amount=amount, probability=probability, close_date=close_date),
        )

    def _on_record(
        self,
        command: str,
        cls: type[A],
        record_id: UUID,
        meta: EventMeta,
        expected_version: int | None,
        act: Callable[[A], None],
    ) -> CommandResult:
        """Load, act, save; a lost race is retried on fresh state unless a version was expected."""
        for attempt in range(SAVE_ATTEMPTS):
            done = self._previous_result(command, meta)
            if done:
                return done
            record = self._load(cls, record_id, expected_version)
            act(record)
            try:
                return self._save(command, meta, record, record)
            except VersionConflict:
                if expected_version is not None or attempt == SAVE_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no mutate: the loop above always returns or raises

    # -- the daily work on an account or opportunity (domain.record_work) ---------------------

    def schedule_record_task(
        self, *, kind: str, record_id: UUID, task: Task, meta: EventMeta, expected_version: int | None = None
    ) -> CommandResult:
        return self._on_record(
            "schedule_task",
            WORKABLE[kind],
            record_id,
            meta,
            expected_version,
            lambda r: r.schedule_task(task=task, meta=meta),
        )

    def fire_record_reminder(
        self, *, kind: str, record_id: UUID, task_id: UUID, now: datetime, meta: EventMeta
    ) -> CommandResult:
        """Fires once: see :mod:`domain.task_service` (the same argument holds for any record)."""
        return self._on_record(
            "fire_reminder",
            WORKABLE[kind],
            record_id,
            meta,
            None,
            lambda r: r.fire_reminder(task_id=task_id, now=now, meta=meta),
        )

    def complete_record_task(
        self, *, kind: str, record_id: UUID, task_id: UUID, meta: EventMeta, expected_version: int | None = None
    ) -> CommandResult:
        return self._on_record(
            "complete_task",
            WORKABLE[kind],
            record_id,
            meta,
            expected_version,
            lambda r: r.complete_task(task_id=task_id, meta=meta),
        )

    def follow_record(
        self, *, kind: str, record_id: UUID, user: str, meta: EventMeta, expected_version: int | None = None
    ) -> CommandResult:
        return self._on_record(
            "follow", WORKABLE[kind], record_id, meta, expected_version, lambda r: r.follow(user=user, meta=meta)
        )

    def unfollow_record(
        self, *, kind: str, record_id: UUID, user: str, meta: EventMeta, expected_version: int | None = None
    ) -> CommandResult:
        return self._on_record(
            "unfollow", WORKABLE[kind], record_id, meta, expected_version, lambda r: r.unfollow(user=user, meta=meta)
        )

    def customer_history(self, kind: str, record_id: UUID) -> list[DomainEvent]:
        """Every event of the account, contact or opportunity (NotFound if it is not one)."""
        self._load(KINDS[kind], record_id, None)
        return [e for e in self.events.get(record_id) if isinstance(e, DomainEvent)]

    def customer_users(self, kind: str, record_id: UUID) -> set[str]:
        """Who acted on or follows the record (what the caller's scope is matched against)."""
        record = self._load(KINDS[kind], record_id, None)
        events = [e for e in self.events.get(record_id) if isinstance(e, DomainEvent)]
        if not events:
            raise NotFound(kind, record_id)
        return {e.meta.actor for e in events} | set(getattr(record, "followers", ()))
