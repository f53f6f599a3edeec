"""Every export of leads is recorded: who took which list (its query), which columns, in which
format, and how many leads left the engine. One aggregate per export, so exports never contend."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.base import Aggregate
from domain.values import EventMeta


class ExportRecord(Aggregate):
    class Exported(Aggregate.Created):
        query: dict[str, Any]
        columns: tuple[str, ...]
        file_format: str
        rows: int
        complete: bool
        """False when the export stopped early (the client went away, or the export_rows limit)."""

        def apply(self, record: ExportRecord) -> None:
            record.rows = self.rows

    def __init__(self) -> None:
        self.rows = 0

    @classmethod
    def record(
        cls,
        *,
        export_id: UUID,
        query: dict[str, Any],
        columns: tuple[str, ...],
        file_format: str,
        rows: int,
        complete: bool,
        meta: EventMeta,
    ) -> ExportRecord:
        return cls._create(
            cls.Exported,
            id=export_id,
            query=query,
            columns=columns,
            file_format=file_format,
            rows=rows,
            complete=complete,
            meta=meta,
        )
