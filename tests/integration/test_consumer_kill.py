"""kill -9 a projection consumer process mid-run, ten times: the tables it leaves behind, once a
last run catches up, equal a rebuild from the log. Rows and position commit together, so no
batch is lost or applied twice whatever instant the process dies."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

from infra.runtime import Engine
from tests.conftest import wait_for
from tests.e2e.test_cli import LEADS
from tests.integration.helpers import projected_up_to, wait_until_caught_up
from tests.integration.test_read_models import write_history

KILLS = 10


def position(engine: Engine, consumer: str) -> int:
    with engine.db.cursor() as cur:
        return engine.positions.load(cur, consumer=consumer, source="log").get(0, 0)


@pytest.mark.parametrize("name", ["lead_list", "feeds"])
def test_killed_ten_times_mid_run_the_tables_still_equal_a_rebuild(engine: Engine, name: str) -> None:
    write_history(engine.service, 400)
    engine.prepare_read_store()
    s = engine.settings
    env = os.environ | {
        "LEADS_POSTGRES_DSN": s.postgres_dsn or "",
        "LEADS_HOME": str(s.home),
        "LEADS_MODE": "embedded",
        "LEADS_BATCH_SIZE": "20",
        "LEADS_IDLE_WAIT_MS": "10",
    }
    consumer = engine.projections[name].name
    head = engine.service.recorder.max_notification_id() or 0  # type: ignore[attr-defined]
    kills = 0
    while kills < KILLS:
        before = position(engine, consumer)
        proc = subprocess.Popen(
            [LEADS, "consume", "--projection", name], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            wait_for(
                lambda before=before: position(engine, consumer) > before, timeout=30, what=f"{name} to make progress"
            )
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
        kills += 1
    assert position(engine, consumer) < head, "every kill landed before the consumer finished the log"
    engine.start_background()
    wait_until_caught_up(engine, consumer)
    assert projected_up_to(engine, consumer, head)
    report = engine.rebuild(name, lambda done, total: None)
    assert report.equal, f"after {KILLS} kills the live tables differ from a rebuild"
