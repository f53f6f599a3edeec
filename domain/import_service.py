"""The application's part in imports and exports: the audit record of an export; an import's
batch, and what a row's command id did before (so a file imported again creates nothing
twice). Carrying out a row is the ordinary
capture, update and merge of :class:`~domain.service.LeadService`: imported leads take the same
path as every lead (duplicate claims, assignment rules, scoring)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain.command_handling import CommandApplication, CommandResult
from domain.command_log import CommandRecord
from domain.export_audit import ExportRecord
from domain.import_batch import Counts, ImportBatch
from domain.import_plan import DuplicatePolicy
from domain.ports import FirstEvents
from domain.values import EventMeta


class RecordsImports(CommandApplication):
    def recorded(self, command_id: str) -> tuple[str, CommandResult] | None:
        """The command a command id ran, and its result; None if it never ran."""
        try:
            record: object = self.repository.get(self._record_id(EventMeta(actor="-", command_id=command_id)))
        except AggregateNotFoundError:
            return None
        assert isinstance(record, CommandRecord)
        return record.command, CommandResult.from_record(record.result)

    def recorded_many(self, command_ids: Sequence[str]) -> dict[str, tuple[str, CommandResult]]:
        """:meth:`recorded` for many command ids at once: one query where the recorder offers
        it (``FirstEvents``: a command record is its one event), else one look-up each."""
        ids = {self._record_id(EventMeta(actor="-", command_id=c)): c for c in command_ids}
        found: dict[str, tuple[str, CommandResult]] = {}
        if not isinstance(self.recorder, FirstEvents):
            for command_id in ids.values():
                done = self.recorded(command_id)
                if done is not None:
                    found[command_id] = done
            return found
        for stored in self.recorder.select_first_events(list(ids)):
            event = cast(CommandRecord.Recorded, self.mapper.to_domain_event(stored))
            record = event.mutate(None)
            if isinstance(record, CommandRecord):
                found[ids[UUID(str(stored.originator_id))]] = (record.command, CommandResult.from_record(record.result))
        return found

    def record_import_plan(
        self,
        *,
        import_id: UUID,
        file_name: str,
        file_hash: str,
        file_format: str,
        policy: DuplicatePolicy,
        mapping: dict[str, str],
        counts: Counts,
        meta: EventMeta,
    ) -> None:
        batch = ImportBatch.plan(
            import_id=import_id,
            file_name=file_name,
            file_hash=file_hash,
            file_format=file_format,
            policy=policy,
            mapping=mapping,
            counts=counts,
            meta=meta,
        )
        self.save(batch)

    def record_export(
        self,
        *,
        export_id: UUID,
        query: dict[str, Any],
        columns: tuple[str, ...],
        file_format: str,
        rows: int,
        complete: bool,
        meta: EventMeta,
    ) -> None:
        """The audit of an export: who, what (the query and columns), how many."""
        record = ExportRecord.record(
            export_id=export_id,
            query=query,
            columns=columns,
            file_format=file_format,
            rows=rows,
            complete=complete,
            meta=meta,
        )
        self.save(record)

    def export_record(self, export_id: UUID) -> ExportRecord:
        return self._load(ExportRecord, export_id, None)

    def import_batch(self, import_id: UUID) -> ImportBatch:
        return self._load(ImportBatch, import_id, None)

    def start_import(self, *, import_id: UUID, meta: EventMeta) -> None:
        batch = self._load(ImportBatch, import_id, None)
        batch.start(meta=meta)
        self.save(batch)

    def finish_import(self, *, import_id: UUID, counts: Counts, meta: EventMeta) -> None:
        batch = self._load(ImportBatch, import_id, None)
        batch.finish(counts=counts, meta=meta)
        self.save(batch)

    def cancel_import(self, *, import_id: UUID, counts: Counts, meta: EventMeta) -> None:
        batch = self._load(ImportBatch, import_id, None)
        batch.cancel(counts=counts, meta=meta)
        self.save(batch)
