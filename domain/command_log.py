"""Idempotency: a record per command id, saved atomically with the command's events."""

from __future__ import annotations

from uuid import UUID

from domain.base import Aggregate
from domain.values import EventMeta


class CommandRecord(Aggregate):
    """One per idempotency key (its id is derived from the key). Saved in the same transaction
    as the command's events, so a repeated key fails that save and the first result is returned."""

    class Recorded(Aggregate.Created):
        command: str
        result: dict[str, str | int | None]

        def apply(self, record: CommandRecord) -> None:
            record.command = self.command
            record.result = self.result

    def __init__(self) -> None:
        self.command = ""
        self.result: dict[str, str | int | None] = {}

    @classmethod
    def record(
        cls, *, record_id: UUID, command: str, result: dict[str, str | int | None], meta: EventMeta
    ) -> CommandRecord:
        return cls._create(cls.Recorded, id=record_id, command=command, result=result, meta=meta)
