"""``leads audit verify``: recompute every aggregate's chain from the event store and name the
first break of each (``domain.contract.chain.first_break``).

One server-side cursor streams the events beside their links (a full join, so a link without
its event and an event without its link both show), in (aggregate, version) order, so memory
holds one aggregate at a time however long the log is.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from typing import Any
from uuid import UUID

from domain.contract.chain import Break, ChainRow, first_break, first_link
from infra.event_chain import PostgresEventChain


@dataclass
class VerifyReport:
    events: int = 0
    aggregates: int = 0
    seconds: float = 0.0
    breaks: list[Break] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def verify(
    chain: PostgresEventChain, *, aggregate: UUID | None = None, since: datetime | None = None, fetch: int = 5_000
) -> VerifyReport:
    """Check the whole store, one aggregate, or the aggregates written since ``since`` (from
    their first event written since then, anchored on the stored link before it)."""
    report = VerifyReport()
    started = time.perf_counter()
    key = chain.key
    for lead, rows, anchor in _chains(chain, aggregate=aggregate, since=since, fetch=fetch):
        report.aggregates += 1
        report.events += len(rows)
        if not _whole(key, lead, rows, anchor):
            found = first_break(key, lead, [ChainRow(v, s, k) for v, s, k in rows], anchor=anchor)
            if found is not None:
                report.breaks.append(found)
    report.seconds = time.perf_counter() - started
    return report


def _whole(key: bytes, lead: UUID, rows: list[tuple[int, Any, Any]], anchor: bytes | None) -> bool:
    """The common case, fast: every link holds (no objects built; ``first_break`` says why not)."""
    previous = anchor if anchor is not None else first_link(lead)
    expected = rows[0][0] if anchor is not None else 1
    for version, stored, link in rows:
        if version != expected or stored is None or link is None:
            return False
        if hmac.digest(key, previous + stored, "sha256") != link:
            return False
        previous = link
        expected += 1
    return True


def _chains(
    chain: PostgresEventChain, *, aggregate: UUID | None, since: datetime | None, fetch: int
) -> Iterator[tuple[UUID, list[tuple[int, Any, Any]], bytes | None]]:
    where, params = "", list[object]()
    if aggregate is not None:
        where, params = "WHERE originator_id = %s", [str(aggregate), str(aggregate)]
    starts, first = "", "NULL::bigint"
    if since is not None:
        starts = (
            f"JOIN (SELECT originator_id AS id, min(originator_version) AS v FROM {chain.table} "
            "WHERE recorded_at >= %s GROUP BY originator_id) s "
            "ON s.id = coalesce(e.originator_id, l.originator_id) "
            "AND coalesce(e.originator_version, l.originator_version) >= s.v - 1"
        )
        first = "s.v"
        params.append(since)
    sql = (
        "SELECT coalesce(e.originator_id, l.originator_id)::text, "
        f"coalesce(e.originator_version, l.originator_version), e.state, l.link, {first} "
        f"FROM (SELECT originator_id, originator_version, state FROM {chain.events_table} {where}) e "
        f"FULL JOIN (SELECT originator_id, originator_version, link FROM {chain.table} {where}) l "
        "ON e.originator_id = l.originator_id AND e.originator_version = l.originator_version "
        f"{starts} ORDER BY 1, 2"
    )
    with chain.db.connect() as conn, conn.transaction(), conn.cursor(name="chain_verify") as cur:
        conn.execute("SET LOCAL work_mem = '64MB'")  # sorts the join in memory, not on disk
        cur.itersize = fetch
        cur.execute(sql, params)
        for lead, group in groupby(cur, key=lambda r: r[0]):
            found = list(group)
            rows = [(version, state, link) for _, version, state, link, _ in found]
            since_version, anchor = found[0][4], None
            if since_version is not None and since_version > 1 and rows[0][0] == since_version - 1:
                # The row before the first written since then only anchors the rest.
                anchor, rows = rows[0][2], rows[1:]
            yield UUID(str(lead)), rows, anchor
