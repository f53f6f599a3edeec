"""The hash chain over the event store (``domain.contract.chain``), written with the events:
``<event schema>.event_links`` holds one link per stored event, inserted by
:class:`infra.keyed_recorder.KeyedApplicationRecorder` in the transaction that inserts the
events, after them (so a concurrent writer's conflict is still the events' own).

Cheap on the write path: a first event needs no look-up (its previous link is its lead's id),
the last link of recently written aggregates is cached once committed, and one statement
inserts a save's links. A cache miss costs one query. Cached links are never wrong: a link, once
committed, never changes, and only committed links are cached.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from cachetools import LRUCache
from eventsourcing.persistence import StoredEvent

from domain.contract.chain import first_link, next_link
from infra.postgres import Database

DDL = """
CREATE TABLE IF NOT EXISTS {table} (
    originator_id      uuid        NOT NULL,
    originator_version bigint      NOT NULL,
    link               bytea       NOT NULL,
    recorded_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (originator_id, originator_version)
);
"""


@dataclass(frozen=True)
class Pending:
    """Links written by a transaction not yet known to be committed: ``{aggregate: (version, link)}``."""

    last: dict[UUID, tuple[int, bytes]]


class PostgresEventChain:
    def __init__(self, db: Database, *, schema: str, key: bytes, cache_size: int = 10_000) -> None:
        self.db = db
        self.key = key
        self.table = f"{schema}.event_links"
        self.events_table = ""
        """Named by the application's recorder once built (``StoredLeadService.construct_recorder``)."""
        self.cache: LRUCache[UUID, tuple[int, bytes]] = LRUCache(maxsize=cache_size)
        self.lock = threading.Lock()

    def create(self) -> None:
        with self.db.cursor() as cur:
            cur.execute(DDL.format(table=self.table))

    def write(self, cursor: Any, stored_events: Sequence[StoredEvent]) -> Pending:
        """Link ``stored_events`` (in the order the recorder inserts them) with ``cursor``, inside
        their transaction; the caller passes the result to :meth:`committed` once it commits."""
        firsts: dict[UUID, int] = {}
        for e in stored_events:
            aggregate = UUID(str(e.originator_id))
            firsts[aggregate] = min(firsts.get(aggregate, e.originator_version), e.originator_version)
        previous = self._previous(cursor, firsts)
        ids, versions, links = [], [], []
        for e in sorted(stored_events, key=lambda e: (str(e.originator_id), e.originator_version)):
            aggregate = UUID(str(e.originator_id))
            link = next_link(self.key, previous[aggregate], e.state)
            previous[aggregate] = link
            ids.append(aggregate)
            versions.append(e.originator_version)
            links.append(link)
        cursor.execute(
            f"INSERT INTO {self.table} (originator_id, originator_version, link) "
            "SELECT * FROM unnest(%s::uuid[], %s::bigint[], %s::bytea[])",
            (ids, versions, links),
        )
        return Pending({i: (v, link) for i, v, link in zip(ids, versions, links, strict=True)})

    def committed(self, pending: Pending) -> None:
        with self.lock:
            self.cache.update(pending.last)

    def _previous(self, cursor: Any, firsts: dict[UUID, int]) -> dict[UUID, bytes]:
        """Each aggregate's link before its first event in this save: its id for a first event,
        else the cached or stored link (an aggregate older than the chain starts afresh, which
        the verifier reports for its unlinked events)."""
        found: dict[UUID, bytes] = {}
        missing: dict[UUID, int] = {}
        with self.lock:
            for aggregate, version in firsts.items():
                cached = self.cache.get(aggregate)
                if version == 1:
                    found[aggregate] = first_link(aggregate)
                elif cached is not None and cached[0] == version - 1:
                    found[aggregate] = cached[1]
                else:
                    missing[aggregate] = version - 1
        if missing:
            cursor.execute(
                f"SELECT l.originator_id, l.link FROM {self.table} l "
                "JOIN unnest(%s::uuid[], %s::bigint[]) AS m(id, v) "
                "ON l.originator_id = m.id AND l.originator_version = m.v",
                (list(missing), list(missing.values())),
            )
            for row in cursor.fetchall():
                aggregate, link = (row["originator_id"], row["link"]) if isinstance(row, dict) else row
                found[UUID(str(aggregate))] = bytes(link)
        return {a: found.get(a, first_link(a)) for a in firsts}

    def entries(self, pairs: Iterable[tuple[UUID, int]]) -> dict[tuple[UUID, int], tuple[bytes, bytes | None, bytes]]:
        """For each (aggregate, version): its stored bytes, its link (None if missing) and the
        link before it, as the audit export carries them."""
        pairs = list(pairs)
        if not pairs:
            return {}
        with self.db.cursor() as cur:
            cur.execute(
                f"SELECT e.originator_id, e.originator_version, e.state, l.link, p.link "
                f"FROM unnest(%s::uuid[], %s::bigint[]) AS m(id, v) "
                f"JOIN {self.events_table} e ON e.originator_id = m.id AND e.originator_version = m.v "
                f"LEFT JOIN {self.table} l ON l.originator_id = m.id AND l.originator_version = m.v "
                f"LEFT JOIN {self.table} p ON p.originator_id = m.id AND p.originator_version = m.v - 1",
                ([str(a) for a, _ in pairs], [v for _, v in pairs]),
            )
            out: dict[tuple[UUID, int], tuple[bytes, bytes | None, bytes]] = {}
            for aggregate, version, state, link, before in cur.fetchall():
                aggregate = UUID(str(aggregate))
                previous = first_link(aggregate) if version == 1 else bytes(before or b"")
                out[(aggregate, version)] = (bytes(state), bytes(link) if link is not None else None, previous)
            return out
