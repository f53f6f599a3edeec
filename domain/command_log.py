"""Idempotency: a record per command id, saved atomically with the command's events."""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from domain.base import Aggregate
from domain.errors import IdempotencyKeyReused, InvalidCommand
from domain.values import EventMeta


class CommandRecord(Aggregate):
    """One per idempotency key (its id is derived from the key). Saved in the same transaction
    as the command's events, so a repeated key fails that save and the first result is returned."""

    class Recorded(Aggregate.Created):
        """v2 adds the request's fingerprint; v1 records (none kept) match any request."""

        class_version: ClassVar[int] = 2

        command: str
        result: dict[str, str | int | None]
        fingerprint: str | None = None

        def apply(self, record: CommandRecord) -> None:
            record.command = self.command
            record.result = self.result
            record.fingerprint = self.fingerprint

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["fingerprint"] = None

    def __init__(self) -> None:
        self.command = ""
        self.result: dict[str, str | int | None] = {}
        self.fingerprint: str | None = None

    @classmethod
    def record(
        cls, *, record_id: UUID, command: str, result: dict[str, str | int | None], meta: EventMeta
    ) -> CommandRecord:
        return cls._create(
            cls.Recorded,
            id=record_id,
            command=command,
            result=result,
            fingerprint=meta.request_fingerprint,
            meta=meta,
        )

    def check_same_request(self, *, command: str, meta: EventMeta) -> None:
        """The key names one request: another command, or (when both are known) another
        request fingerprint, is refused."""
        if self.command != command:
            raise InvalidCommand(f"idempotency key already used for {self.command}", field="Idempotency-Key")
        if self.fingerprint and meta.request_fingerprint and self.fingerprint != meta.request_fingerprint:
            raise IdempotencyKeyReused()
