"""What the background workers need from Kafka and PostgreSQL, declared here and implemented by
the adapters in ``infra``: a source of lead events, a producer, a stream of intake messages,
and a wake-up for idle readers. (Read-model SQL lives in ``projections``; connections come from
a ``connect`` callable.)"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from domain.contract.envelope import Envelope


class Worker(Protocol):
    """What every background worker offers whoever runs it (a thread of the engine, or a
    process ``leads serve`` supervises): its name, a status for the health report, and ``run``
    until its stop event is set."""

    @property
    def name(self) -> str: ...

    status: str

    def run(self) -> None: ...


@dataclass
class Batch:
    events: list[Envelope] = field(default_factory=list)
    positions: dict[int, int] = field(default_factory=dict)
    """partition → last position covered by this batch (notification id or Kafka offset)."""
    rejects: list[tuple[str, str, str]] = field(default_factory=list)
    """Messages that could not even be decoded: (where, why, raw value)."""


class Source(Protocol):
    """Lead events for a projection, with the position each batch reaches per partition."""

    name: str

    def start(self, load_positions: Callable[[], dict[int, int]]) -> None: ...

    def poll(self, timeout_s: float) -> Batch: ...

    def acknowledge(self, batch: Batch) -> None: ...

    def close(self) -> None: ...


class Wakeup(Protocol):
    def wait(self, timeout_s: float) -> None:
        """Return when something new may be there to read, or after ``timeout_s``."""
        ...

    def close(self) -> None: ...


class Delivery(Protocol):
    """Where a sent message landed, once acknowledged."""

    partition: int
    offset: int


class Sent(Protocol):
    def get(self, timeout: float) -> Delivery:
        """Wait for the broker's acknowledgement; raise if the send failed."""
        ...


class Producer(Protocol):
    def send(
        self,
        topic: str,
        *,
        key: bytes | None,
        value: bytes | None,
        headers: list[tuple[str, bytes]],
        partition: int | None = None,
    ) -> Sent: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Message:
    """A message read from a topic, with where it was read."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]]


class MessageStream(Protocol):
    """A consumer-group member's view of a topic: poll, then commit what was handled, or
    rewind to handle it again."""

    def subscribe(self) -> None: ...

    def poll(self, *, timeout_s: float, max_records: int) -> list[Message]: ...

    def commit(self, messages: Sequence[Message]) -> None:
        """Everything up to these messages is handled (may raise if the partitions moved on)."""
        ...

    def rewind(self, messages: Sequence[Message]) -> None:
        """Deliver these messages again on the next poll."""
        ...

    def close(self) -> None: ...


Connect = Callable[[], Any]
"""Opens a new connection to the read store (psycopg 3, in autocommit: a transaction is a
``with conn.transaction()`` block; ``with conn`` would close the connection)."""


class Fenced(Exception):
    """This relay is no longer the leader: another one took over; it must stop publishing."""


class Leadership(Protocol):
    """Which of several relays publishes (exactly one at a time), with fencing."""

    epoch: int | None

    def create(self, cur: Any) -> None: ...

    def acquire(self) -> bool:
        """Try once to become the leader."""
        ...

    def held(self) -> bool:
        """Whether this relay still leads (checked before every batch)."""
        ...

    def check(self, cur: Any) -> None:
        """In the transaction that saves the position: raise :class:`Fenced` if superseded."""
        ...

    def release(self) -> None: ...

    def close(self) -> None: ...


class PublishedTail(Protocol):
    """What the events topic already holds, for a relay that takes over."""

    def partition_for(self, key: bytes) -> int: ...

    def last_published(self, topic: str) -> dict[int, int]:
        """Per partition, the log position of its last message (0 if empty)."""
        ...


class ImportStore(Protocol):
    """Import jobs and each row's verdict and result, kept beside the event store (what a dry
    run found cannot be rebuilt from the log). Rows are written and read in chunks, so a file
    of any size passes through in bounded memory."""

    def create_job(self, job_id: Any, fields: dict[str, Any]) -> None: ...

    def update_job(self, job_id: Any, fields: dict[str, Any]) -> None: ...

    def job(self, job_id: Any) -> dict[str, Any] | None: ...

    def claim_confirm(self, job_id: Any, *, actor: str) -> bool:
        """Move a planned (or interrupted, or stale: its process stopped) job to ``confirmed``,
        atomically: of two racing confirms, one wins."""
        ...

    def request_cancel(self, job_id: Any, *, actor: str) -> tuple[str, dict[str, Any]] | None:
        """Ask a job to stop (at once if at rest, else between chunks): (state before, job
        after), or None if it is over or unknown."""
        ...

    def cancel_requested(self, job_id: Any) -> bool: ...

    def add_rows(self, job_id: Any, rows: Sequence[tuple[int, dict[str, Any], list[str]]]) -> None:
        """(line, the row's verdict as JSON, its cells as read)."""
        ...

    def rows(
        self, job_id: Any, *, after_line: int, limit: int, outcome: str | None = None, exclude: str | None = None
    ) -> list[tuple[int, dict[str, Any], list[str], dict[str, Any] | None]]:
        """Rows in line order after ``after_line`` (with or without one outcome): (line,
        verdict, cells, result or None)."""
        ...

    def pending(self, job_id: Any, *, after_line: int, limit: int) -> list[tuple[int, str | None]]:
        """The confirm's next rows after ``after_line``: (line, the verdict as JSON text, or None
        for a row already carried out), without the cells and unparsed, so the confirm
        validates each verdict once, straight from its text."""
        ...

    def set_results(self, job_id: Any, results: Sequence[tuple[int, dict[str, Any]]]) -> None: ...

    def result_counts(self, job_id: Any) -> dict[str, int]:
        """How many rows had each result."""
        ...

    def purge(self, *, older_than_days: int, limit: int = 100) -> int:
        """Delete the rows of up to ``limit`` jobs idle for ``older_than_days``; how many jobs."""
        ...

    def forget_lead(self, lead_id: Any) -> int:
        """Blank what the rows hold of an erased lead; how many rows changed."""
        ...

    def save_mapping(self, name: str, mapping: dict[str, str], *, by: str) -> None: ...

    def mapping(self, name: str) -> dict[str, str] | None: ...
