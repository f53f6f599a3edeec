"""What the application needs from the outside world, declared here and implemented by the
adapters in ``infra``: the log of recorded events, data keys, and file contents."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol, runtime_checkable
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from domain.contract.envelope import Envelope
from domain.rotation import Turns


class EventLog(Protocol):
    """The event store's log of recorded events in commit order (the outbox)."""

    def head(self) -> int:
        """The position of the last recorded event (0 when empty)."""
        ...

    def read(self, *, start: int, limit: int, sealed: bool = False) -> tuple[list[Envelope], int | None]:
        """Up to ``limit`` recorded events from ``start`` on: the lead events among them, decoded,
        and the last position they cover (None when there is nothing from ``start``).
        ``sealed`` keeps personal fields sealed, as the relay publishes them."""
        ...


@runtime_checkable
class FirstEvents(Protocol):
    """What a recorder offers beyond the library's one-aggregate ``select_events``: the first
    event of many aggregates in one query (an import asks, per chunk of rows, which of their
    command records exist, instead of one query per row)."""

    def select_first_events(self, originator_ids: Sequence[UUID]) -> Sequence[StoredEvent]:
        """The first stored event of each of ``originator_ids`` that exists (any order)."""
        ...


class ChainLinks(Protocol):
    """The hash chain over the stored events (``domain.contract.chain``), as the audit export
    carries it so a reviewer can check it offline."""

    def entries(self, pairs: Iterable[tuple[UUID, int]]) -> dict[tuple[UUID, int], tuple[bytes, bytes | None, bytes]]:
        """For each (lead, version): its stored bytes, its link (None: it has none) and the link before it."""
        ...


class DataKeys(Protocol):
    """The per-subject keys that personal fields are sealed with."""

    def erase(self, subjects: Iterable[UUID]) -> None:
        """Destroy the subjects' keys, for good: their sealed fields can never be read again."""
        ...


class ImportCells(Protocol):
    """What imports keep of a file's rows (their cells and verdicts hold personal data)."""

    def forget_lead(self, lead_id: UUID) -> int:
        """Blank what import rows hold of this lead (it is being erased); how many rows changed."""
        ...


class Blobs(Protocol):
    """File contents, stored once and addressed by their SHA-256."""

    def put(self, content: bytes, *, media_type: str, lead_id: UUID) -> str:
        """Store ``content`` for ``lead_id`` (once, whoever else stored it); return its hash."""
        ...

    def get(self, content_hash: str) -> tuple[str, bytes] | None:
        """Media type and content, or None."""
        ...

    def release(self, *, lead_id: UUID, hashes: Iterable[str], absorbed: Iterable[UUID], heir: UUID | None) -> int:
        """Drop an erased lead's references; delete contents no lead refers to; return how many."""
        ...


class Workloads(Protocol):
    """Who holds which leads in progress, and who routing may give one to: kept with the events
    (changes staged for a save are written in its transaction), so a capacity is never exceeded
    and an away or inactive user never gets a routed lead, whatever runs concurrently."""

    def stage_holder(self, lead_id: UUID, owner: str | None, *, routed: bool, turns: Turns | None = None) -> None:
        """In the next save, ``owner`` holds the lead in progress (None: nobody). ``routed``:
        the rules chose them, so the save fails with ``CapacityReached`` if they are away,
        inactive or at capacity. ``turns``: the team's round-robin row that chose them, written
        in the same statement (see :meth:`stage_turns`)."""
        ...

    def stage_turns(self, turns: Turns) -> None:
        """In the next save, the team's round-robin row becomes ``turns``; the save fails with
        the store's ``IntegrityError`` (a version conflict) if the row is no longer at
        ``turns.version``."""
        ...

    def turns(self, team: str) -> Turns | None:
        """The team's round-robin row (committed), None before its first write."""
        ...

    def stage_gate(self, user: str, *, capacity: int, routable: bool) -> None:
        """In the next save, the user's capacity and whether routing may give them leads."""
        ...

    def loads(self, users: Iterable[str]) -> dict[str, float]:
        """Leads in progress over capacity, per user (committed)."""
        ...

    def held_by(self, user: str) -> list[UUID]:
        """The leads in progress ``user`` holds (committed)."""
        ...
