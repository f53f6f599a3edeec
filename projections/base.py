"""What a projection is: a named, versioned set of tables and a handler for a batch of events."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any, ClassVar, Protocol
from uuid import UUID

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


def staged(cur: Any, table: str, columns: Sequence[str] | None, rows: Sequence[Sequence[Any]]) -> str:
    """COPY ``rows`` (values of ``columns`` of ``table``, all of them if None) into a temporary
    table of that shape, created once per connection, and return the statement that takes them
    out again (``DELETE … RETURNING *``), for the ``WITH`` of the one statement that writes them
    (which so leaves the staging table empty). A batch is thus one statement per table, and
    psycopg 3 formats COPY rows in C: quoting them into ``VALUES`` is Python work for every
    value (10-40 % slower than the former driver's ``execute_values``), and binding them makes psycopg
    parse thousands of placeholders in Python (several times slower; docs/benchmarks.md)."""
    shape = ", ".join(columns) if columns else "*"
    staging = f"staged_{zlib.crc32(f'{table} ({shape})'.encode()):08x}"
    cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {staging} AS SELECT {shape} FROM {table} WITH NO DATA")
    with cur.copy(f"COPY {staging} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    return f"DELETE FROM {staging} RETURNING *"


def insert_rows(
    cur: Any, table: str, columns: Sequence[str] | None, rows: Sequence[Sequence[Any]], *, conflict: str = "DO NOTHING"
) -> None:
    """Insert ``rows`` (values of ``columns``, or of every column in order) in one statement,
    ``ON CONFLICT`` as ``conflict`` says."""
    if rows:
        listed = f" ({', '.join(columns)})" if columns else ""
        cur.execute(
            f"WITH v AS ({staged(cur, table, columns, rows)}) "
            f"INSERT INTO {table}{listed} SELECT * FROM v ON CONFLICT {conflict}"
        )


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
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns)
    insert_rows(cur, table, ("lead_id", *columns), rows, conflict=f"(lead_id) DO UPDATE SET {updates}")


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
