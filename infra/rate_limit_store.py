"""Rate-limit counts in PostgreSQL, shared by every API process of a deployment.

The ``limits`` library keeps counts in memory (per process: N API workers would let N times the
limit through) or in Redis, Memcached or MongoDB, none of which we run. This is its storage
interface over the database the deployment already has: one table, every count changed by one
atomic statement, times from the database's clock (so processes on several hosts agree on
which window they are in).

**Strategy: sliding window counter** (``limits``' ``SlidingWindowCounterRateLimiter``). Each key
has one counter per fixed window of the limit's length; a hit is allowed while
``previous window's count * the share of it still inside the last <length> + this window's
count`` stays within the limit. It approximates the moving window (no double burst at a window's
edge, as a fixed window allows) with two rows per key instead of one row per hit: the per-token
limit allows 60,000 a minute, which a moving window would store as 60,000 rows. The check and the
increment are one ``INSERT … ON CONFLICT DO UPDATE … WHERE``: the row lock makes concurrent hits
from any number of processes count exactly, and a refused hit is not counted.

The fixed-window interface every ``limits`` storage has (``incr``, ``get``, ``get_expiry``) is
here too, on the same table, so ``FixedWindowRateLimiter`` works over it as well.

Keys are stored as their SHA-256: a key holds what a client sent (a form id from the path), and
a NUL or a 60 kB id must neither fail the statement (letting the request through) nor bloat the
table. The table is ``UNLOGGED``: counts are not worth a WAL write per request, and after a crash
PostgreSQL empties it, which only forgives the current windows. Expired rows are deleted at most
once a minute per process.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from typing import Any

import psycopg
from limits.storage import SlidingWindowCounterSupport, Storage
from psycopg_pool import ConnectionPool, PoolTimeout

from projections.base import DDL_LOCK_KEY

log = logging.getLogger(__name__)

TABLE = "rate_limit_counters"
DDL = """
CREATE UNLOGGED TABLE IF NOT EXISTS {table} (
    key        text PRIMARY KEY,
    hits       bigint NOT NULL,
    expires_at double precision NOT NULL
)"""
NOW = "extract(epoch FROM clock_timestamp())::float8"
CLEANUP_EVERY_S = 60.0
FRESH_S = 1.0
"""How long after a hit its window answers the stats asked for the same key (the headers)."""

# A hit in the current window (key/<n>), allowed while the weighted count stays within the limit;
# answers the window as well (``get_sliding_window`` right after a hit needs no second statement).
ACQUIRE = f"""
WITH win AS (SELECT t, floor(t / %(expiry)s)::bigint AS n FROM (SELECT {NOW} AS t) now),
prev AS (
    SELECT coalesce(
        (SELECT c.hits FROM {{table}} c WHERE c.key = %(key)s || '/' || (win.n - 1) AND c.expires_at > win.t), 0
    ) AS hits
    FROM win
),
weighted AS (
    SELECT prev.hits * (%(expiry)s - (win.t - win.n * %(expiry)s)) / %(expiry)s AS count FROM win, prev
),
hit AS (
    INSERT INTO {{table}} AS c (key, hits, expires_at)
    SELECT %(key)s || '/' || win.n, %(amount)s, win.t + 2 * %(expiry)s FROM win, weighted
    WHERE floor(weighted.count) + %(amount)s <= %(limit)s
    ON CONFLICT (key) DO UPDATE SET hits = c.hits + excluded.hits
        WHERE floor((SELECT count FROM weighted)) + c.hits + excluded.hits <= %(limit)s
    RETURNING c.hits
)
SELECT win.t, prev.hits, (SELECT hits FROM hit),
    (SELECT c.hits FROM {{table}} c WHERE c.key = %(key)s || '/' || win.n AND c.expires_at > win.t)
FROM win, prev"""
WINDOW = f"""
WITH win AS (SELECT t, floor(t / %(expiry)s)::bigint AS n FROM (SELECT {NOW} AS t) now)
SELECT win.t,
    (SELECT c.hits FROM {{table}} c WHERE c.key = %(key)s || '/' || (win.n - 1) AND c.expires_at > win.t),
    (SELECT c.hits FROM {{table}} c WHERE c.key = %(key)s || '/' || win.n AND c.expires_at > win.t)
FROM win"""
CLEAR_WINDOW = f"""
WITH win AS (SELECT floor({NOW} / %(expiry)s)::bigint AS n)
DELETE FROM {{table}}
WHERE key IN (SELECT %(key)s || '/' || (n - 1) FROM win UNION SELECT %(key)s || '/' || n FROM win)"""
# Fixed window: a key's count restarts, with a new expiry, on the first hit after it expired.
INCR = f"""
INSERT INTO {{table}} AS c (key, hits, expires_at) VALUES (%(key)s, %(amount)s, {NOW} + %(expiry)s)
ON CONFLICT (key) DO UPDATE SET
    hits = CASE WHEN c.expires_at <= {NOW} THEN excluded.hits ELSE c.hits + excluded.hits END,
    expires_at = CASE WHEN c.expires_at <= {NOW} THEN excluded.expires_at ELSE c.expires_at END
RETURNING hits"""


class PostgresRateLimitStorage(Storage, SlidingWindowCounterSupport):
    """A ``limits`` storage over one PostgreSQL table (``<schema>.rate_limit_counters``), with a
    small connection pool of its own (psycopg 3, autocommit: each statement is its own transaction)."""

    STORAGE_SCHEME = None
    """Not registered by scheme: the composition root builds it with the engine's database."""

    def __init__(self, *, dsn: str, schema: str, options: str = "", pool_size: int = 4) -> None:
        super().__init__(wrap_exceptions=True)
        self.table = f"{schema}.{TABLE}"
        self.pool = ConnectionPool(
            dsn,
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True, "options": options},
            timeout=2.0,
            name="rate-limits",
            open=True,
        )
        self._cleaned = time.monotonic()
        self._cleanup_lock = threading.Lock()
        self._last = threading.local()
        """This thread's last hit: (key, when, the window it saw), for the stats asked right after."""
        self.create()

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return (psycopg.Error, PoolTimeout)

    def create(self) -> None:
        with self.pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (DDL_LOCK_KEY,))
            conn.execute(DDL.format(table=self.table))

    def _one(self, sql: str, params: dict[str, Any]) -> tuple[Any, ...] | None:
        self._cleanup_now_and_then()
        with self.pool.connection() as conn:
            return conn.execute(sql.format(table=self.table), params).fetchone()

    def _cleanup_now_and_then(self) -> None:
        if time.monotonic() - self._cleaned < CLEANUP_EVERY_S or not self._cleanup_lock.acquire(blocking=False):
            return
        try:
            self._cleaned = time.monotonic()
            with self.pool.connection() as conn:
                conn.execute(f"DELETE FROM {self.table} WHERE expires_at < {NOW}")
        finally:
            self._cleanup_lock.release()

    # the sliding window counter (the window's number is appended to the key in SQL)

    def acquire_sliding_window_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        row = self._one(ACQUIRE, {"key": hashed(key), "limit": limit, "expiry": float(expiry), "amount": amount})
        assert row is not None
        now, previous, counted, current = row
        self._last.seen = (key, expiry, time.monotonic(), (now, previous, counted if counted is not None else current))
        return counted is not None

    def get_sliding_window(self, key: str, expiry: int) -> tuple[int, float, int, float]:
        """(previous count, its weight's time left, current count, time to the current one's expiry),
        as ``limits``' own storages answer. Right after this thread's hit on the key, the window
        that hit saw (the limiter asks for it to fill the response's headers)."""
        seen = getattr(self._last, "seen", None)
        self._last.seen = None
        if seen is not None and seen[:2] == (key, expiry) and time.monotonic() - seen[2] < FRESH_S:
            now, previous, current = seen[3]
        else:
            row = self._one(WINDOW, {"key": hashed(key), "expiry": float(expiry)})
            assert row is not None
            now, previous, current = row
        into_window = now % expiry
        previous_ttl = float(expiry - into_window) if previous else 0.0
        return int(previous or 0), previous_ttl, int(current or 0), float(2 * expiry - into_window)

    def clear_sliding_window(self, key: str, expiry: int) -> None:
        with self.pool.connection() as conn:
            conn.execute(CLEAR_WINDOW.format(table=self.table), {"key": hashed(key), "expiry": float(expiry)})

    # the fixed window every storage has

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        row = self._one(INCR, {"key": hashed(key), "amount": amount, "expiry": float(expiry)})
        assert row is not None
        return int(row[0])

    def get(self, key: str) -> int:
        row = self._one(f"SELECT hits FROM {{table}} WHERE key = %(key)s AND expires_at > {NOW}", {"key": hashed(key)})
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._one(
            f"SELECT coalesce(max(expires_at), {NOW}) FROM {{table}} WHERE key = %(key)s", {"key": hashed(key)}
        )
        assert row is not None
        return float(row[0])

    def clear(self, key: str) -> None:
        with self.pool.connection() as conn:
            conn.execute(f"DELETE FROM {self.table} WHERE key = %s", (hashed(key),))

    def reset(self) -> int | None:
        with self.pool.connection() as conn:
            return conn.execute(f"DELETE FROM {self.table}").rowcount

    def check(self) -> bool:
        try:
            with self.pool.connection() as conn:
                return conn.execute("SELECT 1").fetchone() == (1,)
        except (psycopg.Error, PoolTimeout):
            return False

    def close(self) -> None:
        self.pool.close()


def hashed(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def shared_storage(uri: str, *, engine_dsn: str, schema: str, options: str) -> PostgresRateLimitStorage | None:
    """The PostgreSQL storage a ``postgresql://`` storage URI names: bare, the engine's own
    database; with a host, that database. None for any other scheme (``limits`` builds those)."""
    scheme, _, rest = uri.partition("://")
    if scheme not in ("postgresql", "postgres"):
        return None
    return PostgresRateLimitStorage(dsn=uri if rest else engine_dsn, schema=schema, options=options)
