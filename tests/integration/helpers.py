"""Helpers for tests that run the engine's workers in threads."""

from __future__ import annotations

import threading
from typing import Any

from infra.runtime import Engine
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


def wait_until_caught_up(engine: Engine, consumer: str = "lead_list_v2") -> None:
    head = engine.service.recorder.max_notification_id() or 0  # type: ignore[attr-defined]
    wait_for(lambda: projected_up_to(engine, consumer, head), what=f"{consumer} to reach position {head}")


def lead_rows(engine: Engine) -> dict[str, dict[str, Any]]:
    with engine.db.cursor() as cur:
        cur.execute(f"SELECT * FROM {engine.settings.read_schema}.lead_list_v2")
        cols = [c.name for c in cur.description]
        return {str(r[0]): dict(zip(cols, r, strict=True)) for r in cur.fetchall()}


def run_in_thread(worker: Any) -> threading.Thread:
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    return thread
