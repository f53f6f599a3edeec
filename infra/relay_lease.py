"""Who may publish the log to Kafka: the one relay holding a PostgreSQL advisory lock.

Several relay processes may run (``leads serve`` in kafka mode runs one, and operators start
``leads relay`` to stand by); two publishing at once would put every event on the topic twice.
The lock is session-level, held on a connection of its own that does nothing else, so it lasts
exactly as long as the leader's process (or its connection): ``kill -9`` closes the socket,
PostgreSQL releases the lock at once and a standby takes it on its next try.

Fencing, because a leader can lose its lock without knowing (a dropped connection, a PostgreSQL
restart): each acquisition increments an epoch in ``relay_leader``; the leader re-checks that
its connection still holds the lock before every batch, and saves its position only in a
transaction that finds its own epoch still current. A relay that fails either check stops
publishing and goes back to standing by. Implements ``consumers.ports.Leadership``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import zlib
from typing import Any

import psycopg

from consumers.ports import Connect, Fenced

NAMESPACE = 15015
"""First half of the advisory lock's key (the relay's), the second is a hash of the schema."""

DDL = """
CREATE TABLE IF NOT EXISTS {schema}.relay_leader (
    singleton boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    epoch     bigint      NOT NULL,
    holder    text        NOT NULL,
    since     timestamptz NOT NULL DEFAULT now()
)
"""


class AdvisoryLease:
    def __init__(self, *, connect: Connect, schema: str) -> None:
        self.connect = connect
        self.schema = schema
        self.table = f"{schema}.relay_leader"
        self.key = zlib.crc32(f"{schema}.relay".encode()) & 0x7FFFFFFF
        self.holder = f"{socket.gethostname()}:{os.getpid()}"
        self.conn: Any = None
        self.epoch: int | None = None

    def create(self, cur: Any) -> None:
        cur.execute(DDL.format(schema=self.schema))

    def acquire(self) -> bool:
        """Try once to become the leader; on success the epoch is bumped and recorded."""
        try:
            if self.conn is None or self.conn.closed:
                self.conn = self.connect()  # autocommit: the session lock outlives every transaction
            with self.conn.cursor() as cur:
                cur.execute("SELECT pg_try_advisory_lock(%s, %s)", (NAMESPACE, self.key))
                if not cur.fetchone()[0]:
                    return False
                cur.execute(
                    f"""INSERT INTO {self.table} (epoch, holder) VALUES (1, %s)
                        ON CONFLICT (singleton) DO UPDATE
                        SET epoch = {self.table}.epoch + 1, holder = EXCLUDED.holder, since = now()
                        RETURNING epoch""",
                    (self.holder,),
                )
                self.epoch = int(cur.fetchone()[0])
            return True
        except psycopg.Error:
            self._drop()
            return False

    def held(self) -> bool:
        """Whether this relay's connection still holds the lock (asked of PostgreSQL, not assumed)."""
        if self.conn is None or self.epoch is None:
            return False
        try:
            with self.conn.cursor() as cur:
                cur.execute(
                    """SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = %s
                       AND objid = %s AND objsubid = 2 AND pid = pg_backend_pid() AND granted)""",
                    (NAMESPACE, self.key),
                )
                return bool(cur.fetchone()[0])
        except psycopg.Error:
            self._drop()
            return False

    def check(self, cur: Any) -> None:
        """In the caller's transaction: raise :class:`Fenced` unless this relay's epoch is current
        (the row is locked until the transaction ends, so a takeover waits for it)."""
        cur.execute(f"SELECT epoch, holder FROM {self.table} FOR UPDATE")
        row = cur.fetchone()
        if row is None or self.epoch is None or int(row[0]) != self.epoch:
            current = f"epoch {row[0]} held by {row[1]}" if row else "no leader"
            raise Fenced(f"this relay's epoch {self.epoch} is over ({current})")

    def release(self) -> None:
        if self.conn is not None and not self.conn.closed:
            try:
                with self.conn.cursor() as cur:
                    cur.execute("SELECT pg_advisory_unlock(%s, %s)", (NAMESPACE, self.key))
            except psycopg.Error:
                self._drop()
        self.epoch = None

    def close(self) -> None:
        self.release()
        self._drop()

    def _drop(self) -> None:
        self.epoch = None
        if self.conn is not None:
            with contextlib.suppress(psycopg.Error):
                self.conn.close()
        self.conn = None


def leader(cur: Any, schema: str) -> tuple[int, str] | None:
    """The current leader's epoch and holder (``host:pid``), for operators and tests."""
    cur.execute("SELECT to_regclass(%s)", (f"{schema}.relay_leader",))
    if cur.fetchone()[0] is None:
        return None
    cur.execute(f"SELECT epoch, holder FROM {schema}.relay_leader")
    row = cur.fetchone()
    return (int(row[0]), str(row[1])) if row else None
