"""What the HTTP edge is given by the composition root (``infra.runtime``): the application,
the read side's facade and the few ports a route needs. Routes reach nothing else."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from domain.ports import Blobs, DataKeys, EventLog
from domain.service import LeadService
from projections.queries import ReadModels


@dataclass(frozen=True)
class ApiConfig:
    signing_key: str
    read_wait_s: float


class DeadLetterDesk(Protocol):
    """The intake dead-letter queue (kafka mode): ``infra.dead_letters.DeadLetters``. Refusals
    are domain errors (NotFound, InvalidCommand, DeadLetterResolved)."""

    def listing(
        self,
        *,
        status: str | None,
        stage: str | None,
        ce_type: str | None,
        source: str | None,
        since: datetime | None,
        text: str | None,
    ) -> list[dict[str, Any]]: ...

    def show(self, text: str) -> dict[str, Any]: ...

    def actions(self, record: str | None) -> list[dict[str, Any]]: ...

    def replay(self, text: str, *, actor: str, reason: str, payload: bytes | None) -> str: ...

    def discard(self, text: str, *, actor: str, reason: str) -> str: ...


@dataclass(frozen=True)
class Backend:
    service: LeadService
    """Commands, and the write side's own reads (a lead's state, history, replay)."""
    queries: ReadModels
    """Every read model query."""
    blobs: Blobs
    keys: DataKeys
    event_log: EventLog
    """The recorded events in order, for the audit export."""
    wait_until_projected: Callable[[str, int, float], Awaitable[bool]]
    """(projection, log position, timeout s) → whether the projection got there in time; an
    asynchronous wait, so no worker thread is parked while a client waits."""
    health: Callable[[], dict[str, Any]]
    metrics: Callable[[], bytes]
    config: ApiConfig
    dead_letters: DeadLetterDesk | None = None
    """The intake dead-letter queue (kafka mode only)."""
