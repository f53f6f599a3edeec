"""Rebuild a projection from the whole log while the live copy keeps serving, then swap.

The fresh copy is filled from the event store's notification log (the complete truth in both
modes). The swap takes the live tables' lock, brings the copy up to the log's head, compares
checksums and renames, all in one transaction: readers see the old tables or the new ones,
never a mix. The live consumer simply carries on against the new tables; events it applies
again are ignored (every projection dedupes on lead and version).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from consumers.sources import NotificationLogSource
from projections.base import Projection, lock_ddl

SUFFIX = "__rebuild"


@dataclass(frozen=True)
class RebuildReport:
    events: int
    live_checksum: str
    rebuilt_checksum: str

    @property
    def equal(self) -> bool:
        return self.live_checksum == self.rebuilt_checksum


def checksum(cur: Any, table: str) -> str:
    """Order-independent of storage: every row as text, sorted, hashed."""
    cur.execute(f"SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM {table} t")
    return str(cur.fetchone()[0])


def rebuild(
    *,
    live: Projection,
    fresh: Projection,
    source: NotificationLogSource,
    connect: Callable[[], Any],
    head: Callable[[], int],
    progress: Callable[[int, int], None],
) -> RebuildReport:
    conn = connect()
    try:
        with conn.transaction(), conn.cursor() as cur:
            lock_ddl(cur)
            for table in fresh.tables:
                cur.execute(f"DROP TABLE IF EXISTS {table}")
            fresh.create(cur)
            live.create(cur)
        source.start(lambda: {0: 0})
        applied = _catch_up(conn, fresh, source, head(), progress, in_transaction=False)
        with conn.transaction(), conn.cursor() as cur:
            # Catching up, checksumming and swapping a large read model may take longer than the
            # statement timeout every other transaction is held to.
            cur.execute("SET LOCAL statement_timeout = 0")
            for table in live.tables:
                cur.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
            applied += _catch_up(conn, fresh, source, head(), progress, in_transaction=True)
            live_sum = "".join(checksum(cur, t) for t in live.tables)
            rebuilt_sum = "".join(checksum(cur, t) for t in fresh.tables)
            for live_table, fresh_table in zip(live.tables, fresh.tables, strict=True):
                old = live_table.split(".")[-1] + "__old"
                cur.execute(f"ALTER TABLE {live_table} RENAME TO {old}")
                cur.execute(f"ALTER TABLE {fresh_table} RENAME TO {live_table.split('.')[-1]}")
                cur.execute(f"DROP TABLE {live_table.rsplit('.', 1)[0]}.{old}")
        return RebuildReport(applied, live_sum, rebuilt_sum)
    finally:
        conn.close()


def _catch_up(
    conn: Any,
    projection: Projection,
    source: NotificationLogSource,
    target: int,
    progress: Callable[[int, int], None],
    *,
    in_transaction: bool,
) -> int:
    """Apply the log up to ``target``, a batch per transaction (or inside the caller's)."""
    applied = 0
    while source.position < target:
        batch = source.poll(0)
        if not batch.positions:
            break
        if in_transaction:
            with conn.cursor() as cur:
                projection.apply(cur, batch.events)
        else:
            with conn.transaction(), conn.cursor() as cur:
                projection.apply(cur, batch.events)
        source.acknowledge(batch)
        applied += len(batch.events)
        progress(source.position, target)
    return applied
