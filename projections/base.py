"""What a projection is: a named, versioned set of tables and a handler for a batch of events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Protocol
from uuid import UUID

import psycopg

from domain.contract.envelope import LEAD_STREAM, Envelope
from domain.lifecycle import status_after


class Projection(Protocol):
    name: str
    """Versioned by name (``lead_list_v3``) so a rebuild can run beside the live copy."""

    tables: list[str]
    """Qualified names of the tables it owns (a rebuild copies, checksums and swaps them)."""

    def create(self, cur: Any) -> None:
        """Create the tables if missing (idempotent)."""

    def apply(self, cur: Any, events: Sequence[Envelope]) -> None:
        """Apply events in order; must ignore an event already applied (same lead, version)."""


def streams_of(projection: Projection) -> frozenset[str]:
    """Whose events a read model reads: its ``streams`` (``lead``, ``account``, ``contact``,
    ``opportunity``), the lead's alone unless it says otherwise."""
    streams: frozenset[str] = getattr(projection, "streams", LEAD_STREAM)
    return streams


def execute_values(cur: Any, statement: str, rows: Sequence[Sequence[Any]], *, template: str | None = None) -> None:
    """Run ``statement`` for many rows at once: its ``VALUES %s`` becomes one ``(…)`` per row
    (``template``, positional placeholders, or one per value), so a projection's batch is one
    statement and one round trip per table rather than one per row.

    The values are quoted on the client, as psycopg2's ``execute_values`` did, not bound:
    psycopg 3 parses a statement's placeholders in Python, and for a batch's thousands of them
    that took longer than the database's work (the rebuild ran at half its speed)."""
    if not rows:
        return
    quote = psycopg.ClientCursor(cur.connection).mogrify
    row = template or f"({', '.join(['%s'] * len(rows[0]))})"
    head, tail = statement.split("VALUES %s", 1)
    cur.execute(f"{head}VALUES {', '.join(quote(row, r) for r in rows)}{tail}")


def fetch_dicts(cur: Any) -> list[dict[str, Any]]:
    """The rows of the last query as dicts keyed by column name."""
    cols = [c.name for c in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


DDL_LOCK_KEY = 7_254_001
"""PostgreSQL advisory lock taken around every CREATE of the engine's tables and schemas:
consumers started together would otherwise race on ``CREATE ... IF NOT EXISTS`` and fail
with "tuple concurrently updated"."""


def lock_ddl(cur: Any) -> None:
    """Serialise table creation with every other process, until this transaction ends."""
    cur.execute("SELECT pg_advisory_xact_lock(%s)", (DDL_LOCK_KEY,))


def create_once(cur: Any, table: str, ddl: str) -> None:
    """Run ``ddl`` unless ``table`` exists (its indexes come with it, so no IF NOT EXISTS dance)."""
    cur.execute("SELECT to_regclass(%s)", (table,))
    if cur.fetchone()[0] is None:
        cur.execute(ddl)


def rows_by_lead(
    cur: Any, table: str, columns: Sequence[str], events: Sequence[Envelope]
) -> dict[UUID, dict[str, Any]]:
    """The rows of ``table`` for the leads of a batch, loaded in one query, keyed by lead id."""
    ids = list({str(e.lead_id) for e in events})
    cur.execute(f"SELECT lead_id, {', '.join(columns)} FROM {table} WHERE lead_id = ANY(%s::uuid[])", (ids,))
    return {row.pop("lead_id"): row for row in fetch_dicts(cur)}


def upsert_by_lead(cur: Any, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Insert or overwrite rows keyed by lead: each row is ``(lead_id, *columns)``."""
    if rows:
        execute_values(
            cur,
            f"INSERT INTO {table} (lead_id, {', '.join(columns)}) VALUES %s ON CONFLICT (lead_id) "
            f"DO UPDATE SET {', '.join(f'{c} = EXCLUDED.{c}' for c in columns)}",
            rows,
        )


def save_rows(
    cur: Any, table: str, columns: Sequence[str], rows: dict[UUID, dict[str, Any]], erased: set[UUID]
) -> None:
    """Upsert each lead's row (``columns`` of it), and delete the rows of leads erased in this
    batch: the read model keeps nothing of them. Safe against redelivery: a lead's events
    arrive in order, and nothing follows its erasure."""
    upsert_by_lead(cur, table, columns, [(k, *(r[c] for c in columns)) for k, r in rows.items() if k not in erased])
    if erased:
        cur.execute(f"DELETE FROM {table} WHERE lead_id = ANY(%s::uuid[])", ([str(i) for i in erased],))


def next_status(current: str | None, e: Envelope) -> str | None:
    """The lead's status once ``e`` applied, by the domain's status machine."""
    status = status_after(e.name, current, reopened_to=e.payload.get("to_status") if e.name == "reopened" else None)
    return status.value if status else None


class OneTable:
    """Base of a projection owning one table named after it (``{schema}.{name}{suffix}``)."""

    name: str
    ddl: ClassVar[str]
    """CREATE statements, with ``{t}`` for the table."""

    def __init__(self, *, schema: str, suffix: str = "") -> None:
        self.table = f"{schema}.{self.name}{suffix}"
        self.tables = [self.table]

    def create(self, cur: Any) -> None:
        create_once(cur, self.table, self.ddl.format(t=self.table))
