"""What the HTTP edge is given by the composition root (``infra.runtime``): the application,
the read side's facade and the few ports a route needs. Routes reach nothing else."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

from limits.storage import Storage

from api.rate_limits import RateLimitSettings
from domain.access import Action
from domain.bulk import BulkRequest
from domain.import_plan import DuplicatePolicy
from domain.lead import Lead
from domain.ports import Blobs, ChainLinks, DataKeys, EventLog, ImportCells
from domain.service import LeadService
from projections.queries import ReadModels


@dataclass(frozen=True)
class ApiConfig:
    signing_key: str
    read_wait_s: float
    rate_limits: RateLimitSettings = field(default_factory=RateLimitSettings)
    rate_limit_storage: Storage | None = None
    """Where rate-limit counts are kept when the composition root built the storage (a shared
    one, ``infra.rate_limit_store``); None: the one ``rate_limits.storage_uri`` names."""


class Imports(Protocol):
    """Imports as jobs (``consumers.import_jobs``): a dry run per upload, then a confirm."""

    def start(
        self, *, path: Path, file_name: str, actor: str, policy: DuplicatePolicy, overrides: dict[str, str]
    ) -> UUID: ...

    def confirm(self, job_id: UUID, *, actor: str, check: Callable[[Action, Lead], None]) -> dict[str, Any]: ...

    def status(self, job_id: UUID) -> dict[str, Any]: ...

    def cancel(self, job_id: UUID, *, actor: str) -> dict[str, Any]: ...

    def report(
        self, job_id: UUID, *, after_line: int, limit: int, outcome: str | None, exclude: str | None = None
    ) -> list[dict[str, Any]]: ...

    def rejected_csv(self, job_id: UUID) -> Iterator[str]: ...

    def template(self) -> str: ...

    def save_mapping(self, name: str, mapping: dict[str, str], *, by: str) -> None: ...

    def mapping(self, name: str) -> dict[str, str]: ...


class Bulk(Protocol):
    """Mass actions as jobs (``consumers.bulk_jobs``)."""

    def start(
        self,
        *,
        request: BulkRequest,
        lead_ids: Sequence[UUID],
        user: str,
        key: str | None,
        check: Callable[[Action, Lead], None],
        wait: bool = False,
    ) -> UUID: ...

    def status(self, job_id: UUID, *, after: int = 0, limit: int = 1000) -> dict[str, Any]: ...

    def cancel(self, job_id: UUID, *, actor: str) -> dict[str, Any]: ...

    def resume(
        self, job_id: UUID, *, actor: str, check: Callable[[Action, Lead], None], wait: bool = False
    ) -> dict[str, Any]: ...


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
    chain: ChainLinks | None = None
    """The events' hash chain, which the audit export carries (None: exported without it)."""
    imports: Imports | None = None
    """Imports from files (None: this process takes none)."""
    bulk: Bulk | None = None
    """Mass actions (None: this process runs none)."""
    import_cells: ImportCells | None = None
    """What imports keep of files' rows, blanked when a lead is erased (None: nothing kept)."""
    dead_letters: DeadLetterDesk | None = None
    """The intake dead-letter queue (kafka mode only)."""
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    """The time for views that depend on it (tasks overdue and due today): a test sets its own,
    so that "due later today" holds at any hour it runs."""
