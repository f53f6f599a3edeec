"""Helpers for tests that run the engine's workers in threads."""

from __future__ import annotations

import threading
from typing import Any

from infra.health import health
from infra.runtime import Engine
from infra.settings import Mode
from tests.conftest import wait_for


def projected_up_to(engine: Engine, consumer: str, position: int) -> bool:
    with engine.db.cursor() as cur:
        cur.execute(
            f"SELECT coalesce(max(position), 0) FROM {engine.settings.read_schema}.consumer_positions "
            "WHERE consumer = %s AND source = 'log'",
            (consumer,),
        )
        row = cur.fetchone()
    return bool(row and row[0] >= position)


def wait_until_caught_up(engine: Engine, consumer: str = "lead_list_v4") -> None:
    head = engine.service.recorder.max_notification_id() or 0  # type: ignore[attr-defined]
    wait_for(lambda: projected_up_to(engine, consumer, head), what=f"{consumer} to reach position {head}")


def all_projected(engine: Engine) -> bool:
    """Every projection has applied everything: the whole log (embedded) or, in kafka mode,
    the relay has published the whole log and each projection reached every partition's end."""
    report = health(engine)
    consumers = report["components"]["consumers"]
    names = [p.name for p in engine.projections.values()]
    from_log = [p.name for p in engine.projections.values() if getattr(p, "log_only", False)]
    log_done = all(consumers.get(n, {}).get("lag") == 0 and consumers[n]["positions"] for n in from_log)
    if engine.settings.mode is Mode.EMBEDDED:
        return all(consumers.get(n, {}).get("lag") == 0 and consumers[n]["positions"] for n in names)
    names = [n for n in names if n not in from_log]
    ends = {p: end for p, end in report["components"]["kafka"].get("end_offsets", {}).items() if end > 0}
    relayed = consumers.get("relay", {}).get("lag") == 0
    return (
        relayed
        and log_done
        and bool(ends)
        and all(
            consumers.get(n, {}).get("positions", {}).get(str(p)) == end - 1 for n in names for p, end in ends.items()
        )
    )


def wait_until_all_projected(engine: Engine) -> None:
    wait_for(lambda: all_projected(engine), timeout=120, what="every projection to apply the whole history")


def lead_rows(engine: Engine) -> dict[str, dict[str, Any]]:
    with engine.db.cursor() as cur:
        cur.execute(f"SELECT * FROM {engine.settings.read_schema}.lead_list_v4")
        cols = [c.name for c in cur.description]
        return {str(r[0]): dict(zip(cols, r, strict=True)) for r in cur.fetchall()}


def run_in_thread(worker: Any) -> threading.Thread:
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    return thread
