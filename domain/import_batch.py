"""An import as one recorded batch: who ran it, which file (its SHA-256), the mapping and the
policy, what the dry run found, and what the confirm did. The leads it touches name it: each
of their events carries the import's id as correlation id and the file's row as command id.

``Finished`` always carries the counts of every outcome, failed rows included, so an import is
never reported a success when part of it was not done; a batch ``Started`` but never
``Finished`` was interrupted (confirming it again resumes it: each row's command is
idempotent)."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from domain.base import Aggregate
from domain.errors import InvalidCommand
from domain.import_plan import DuplicatePolicy
from domain.limits import ShortText
from domain.values import EventMeta

Counts = dict[str, int]


class ImportBatch(Aggregate):
    class Planned(Aggregate.Created):
        """The dry run of a file: what each count of rows would become."""

        file_name: ShortText
        file_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
        file_format: str
        policy: DuplicatePolicy
        mapping: dict[str, str]
        counts: Counts

        def apply(self, batch: ImportBatch) -> None:
            batch.file_hash = self.file_hash
            batch.planned = dict(self.counts)

    class Started(Aggregate.Event):
        def apply(self, batch: ImportBatch) -> None:
            batch.started = True

    class Finished(Aggregate.Event):
        """What the confirm did, every row accounted for (``failed``: refused when carried out)."""

        counts: Counts

        def apply(self, batch: ImportBatch) -> None:
            batch.finished = dict(self.counts)

    class Cancelled(Aggregate.Event):
        """Stopped by a person before every row was carried out: what was done by then, and
        the rows left (``not_run``)."""

        counts: Counts

        def apply(self, batch: ImportBatch) -> None:
            batch.finished = dict(self.counts)
            batch.cancelled = True

    def __init__(self) -> None:
        self.cancelled = False
        self.file_hash = ""
        self.planned: Counts = {}
        self.started = False
        self.finished: Counts | None = None

    @classmethod
    def plan(
        cls,
        *,
        import_id: UUID,
        file_name: str,
        file_hash: str,
        file_format: str,
        policy: DuplicatePolicy,
        mapping: dict[str, str],
        counts: Counts,
        meta: EventMeta,
    ) -> ImportBatch:
        return cls._create(
            cls.Planned,
            id=import_id,
            file_name=file_name,
            file_hash=file_hash,
            file_format=file_format,
            policy=policy,
            mapping=mapping,
            counts=counts,
            meta=meta,
        )

    def check_confirmable(self) -> None:
        if self.cancelled:
            raise InvalidCommand("this import was cancelled", field="import_id")
        if self.finished is not None:
            raise InvalidCommand("this import was confirmed and has finished", field="import_id")

    def start(self, *, meta: EventMeta) -> None:
        """Starting again after an interruption records nothing more."""
        self.check_confirmable()
        if not self.started:
            self.trigger_event(self.Started, meta=meta)

    def finish(self, *, counts: Counts, meta: EventMeta) -> None:
        self.check_confirmable()
        if not self.started:
            raise InvalidCommand("an import finishes after it started", field="import_id")
        self.trigger_event(self.Finished, counts=counts, meta=meta)

    def cancel(self, *, counts: Counts, meta: EventMeta) -> None:
        """Cancelling again records nothing more."""
        if self.cancelled:
            return
        self.check_confirmable()
        self.trigger_event(self.Cancelled, counts=counts, meta=meta)
