"""``leads audit verify``: recompute every aggregate's chain from the event store and name the
first break of each (``domain.contract.chain.first_break``).

One server-side cursor streams the events beside their links (a full join, so a link without
its event and an event without its link both show), in (aggregate, version) order, so memory
holds one aggregate at a time however long the log is.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from uuid import UUID

from domain.contract.chain import Break, ChainRow, first_break
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
    for lead, rows, anchor in _chains(chain, aggregate=aggregate, since=since, fetch=fetch):
        report.aggregates += 1
        report.events += sum(1 for r in rows if r.stored is not None)
        found = first_break(chain.key, lead, rows, anchor=anchor)
        if found is not None:
            report.breaks.append(found)
    report.seconds = time.perf_counter() - started
    return report


def _chains(
    chain: PostgresEventChain, *, aggregate: UUID | None, since: datetime | None, fetch: int
) -> Iterator[tuple[UUID, list[ChainRow], bytes | None]]:
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
        "SELECT coalesce(e.originator_id, l.originator_id), coalesce(e.originator_version, l.originator_version), "
        f"e.state, l.link, {first} "
        f"FROM (SELECT originator_id, originator_version, state FROM {chain.events_table} {where}) e "
        f"FULL JOIN (SELECT originator_id, originator_version, link FROM {chain.table} {where}) l "
        "ON e.originator_id = l.originator_id AND e.originator_version = l.originator_version "
        f"{starts} ORDER BY 1, 2"
    )
    conn = chain.db.connect()
    try:
        with conn, conn.cursor(name="chain_verify") as cur:
            cur.itersize = fetch
            cur.execute(sql, params)
            for lead, group in groupby(cur, key=lambda r: r[0]):
                found = list(group)
                rows = [ChainRow(version, state, link) for _, version, state, link, _ in found]
                since_version, anchor = found[0][4], None
                if since_version is not None and since_version > 1 and rows[0].version == since_version - 1:
                    # The row before the first written since then only anchors the rest.
                    anchor, rows = (bytes(rows[0].link) if rows[0].link is not None else None), rows[1:]
                yield UUID(str(lead)), rows, anchor
    finally:
        conn.close()
