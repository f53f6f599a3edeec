"""The eventsourcing PostgreSQL application recorder, plus the data keys of new subjects and
the events' hash chain (``infra.event_chain``), written in the same transaction as the events
(the library's ``_insert_events`` hook, which its process recorder uses for tracking records).

Events are inserted without psycopg's pipeline mode, which the library's recorder uses. In
pipeline mode psycopg 3 (3.3 included) can return from sending a batch before libpq has
flushed all of it: with an event of a few hundred kB the last bytes stay in the client's
buffer, the server waits for them (``ClientRead``) while holding the events table's EXCLUSIVE
lock, and every other writer waits behind it for good (psycopg/psycopg#685). A plain
transaction sends each statement whole and waits for its answer, so no writer can be left
half-sent holding the lock.

Staged writes that come as :class:`~infra.staged_writes.Rider` statements (the workloads: a
routed lead's gate and its team's turn) cost no round trip of their own: they go first in the
simple query that locks the events table, before the lock is taken (a rider may wait for
another writer's row lock, and must not hold the table lock meanwhile), and each one's result
is checked before the events are inserted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, LiteralString, cast
from uuid import UUID

from eventsourcing.persistence import InterfaceError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

from infra.event_chain import PostgresEventChain
from infra.identity_claims import PostgresIdentityClaims
from infra.subject_keys import PostgresKeyStore
from infra.workloads import PostgresWorkloads


class KeyedApplicationRecorder(PostgresApplicationRecorder):
    keys: PostgresKeyStore | None = None
    """Set by the application once built (the library constructs recorders from the environment)."""
    staged: Sequence[PostgresIdentityClaims] = ()
    """Likewise: what was staged for a save (identity claims) is written in its transaction."""
    riders: Sequence[PostgresWorkloads] = ()
    """Likewise: staged writes sent with the statement that locks the events table (workloads)."""
    chain: PostgresEventChain | None = None
    """Likewise: the hash chain, linked after the events are inserted, under the same table lock."""

    @retry(InterfaceError, max_attempts=3, wait=0.2)
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """The library's insert, minus the pipeline. Only a dropped connection is retried: a
        lock or statement timeout is an answer, and waiting again would only wait longer."""
        linked = None
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            self._insert_events(curs, stored_events, **kwargs)
            if not stored_events:
                self._send_riders(curs, [])
                return None
            self._insert_stored_events(curs, stored_events, **kwargs)
            ids = self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
            if self.chain is not None:
                linked = self.chain.write(curs, stored_events)
        if linked is not None and self.chain is not None:
            self.chain.committed(linked)
        return ids

    def select_events_of(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        """The events of many aggregates in one query, each one's in version order (the
        library reads one aggregate per query)."""
        return self._select_of(originator_ids, "")

    def select_first_events(self, originator_ids: Sequence[UUID]) -> Sequence[StoredEvent]:
        """The first event of each aggregate of ``originator_ids`` that exists, in one query
        (``domain.ports.FirstEvents``)."""
        return self._select_of(originator_ids, " AND originator_version = 1")

    def _select_of(self, originator_ids: Sequence[UUID], only: LiteralString) -> list[StoredEvent]:
        if not originator_ids:
            return []
        statement = SQL(
            "SELECT originator_id, originator_version, topic, state FROM {0}.{1} "
            "WHERE originator_id = ANY(%s)" + only + " ORDER BY originator_id, originator_version"
        ).format(Identifier(self.datastore.schema), Identifier(self.events_table_name))
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, (list(originator_ids),))
            return [
                StoredEvent(
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
                for row in curs.fetchall()
            ]

    def _insert_stored_events(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        """The staged riders, the library's lock statements and NOTIFY in one round trip (no
        parameters, so psycopg sends them as one simple query), then the insert, its columns as
        four arrays: the library's one array of a composite type is dumped by psycopg in Python,
        field by field with text quoting, which was an eighth of a batched capture's time."""
        notify = SQL("NOTIFY {0}").format(Identifier(self.channel_name))
        self._send_riders(curs, [*(cast(SQL | Composed, s) for s in self.lock_table_statements), notify])
        insert = SQL(
            "INSERT INTO {0}.{1} (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%s::{2}[], %s::bigint[], %s::text[], %s::bytea[]) RETURNING notification_id"
        ).format(
            Identifier(self.datastore.schema),
            Identifier(self.events_table_name),
            Identifier(self.datastore.originator_id_type),
        )
        columns = (
            [e.originator_id for e in stored_events],
            [e.originator_version for e in stored_events],
            [e.topic for e in stored_events],
            [e.state for e in stored_events],
        )
        curs.execute(insert, columns)

    def _send_riders(self, curs: Cursor[DictRow], then: list[SQL | Composed]) -> None:
        """This save's riders and then ``then``, as one simple query; each rider's result is
        checked in order (a failed check raises, and the transaction rolls back)."""
        riders = [rider for writes in self.riders for rider in writes.riders()]
        statements = [rider.statement.encode() for rider in riders] + [s.as_bytes(curs) for s in then]
        if not statements:
            return
        curs.execute(b"; ".join(statements))
        for rider in riders:
            rider.check(curs.fetchone() if curs.description else None)
            curs.nextset()

    def _insert_events(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        super()._insert_events(curs, stored_events, **kwargs)
        if self.keys is None:
            raise RuntimeError("KeyedApplicationRecorder.keys is not set; build the service with StoredLeadService")
        self.keys.write_new(curs, {UUID(str(e.originator_id)) for e in stored_events})
        for writes in self.staged:
            writes.write_staged(curs)
