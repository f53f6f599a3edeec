"""Rebuilding a read model from the log beside the live copy, then swapping atomically."""

from __future__ import annotations

import os
import subprocess
import threading

from domain.records import ScoreBreakdown
from domain.values import EventMeta, LeadDetails
from infra.runtime import Engine
from tests.e2e.test_cli import LEADS
from tests.integration.helpers import lead_rows, wait_until_caught_up

META = EventMeta(actor="rep-1")


def scripted_history(engine: Engine, n: int, tag: str = "") -> None:
    s = engine.service
    for i in range(n):
        lead = s.capture_lead(
            details=LeadDetails(contact_name=f"L{tag}{i}", email=f"l{tag}{i}@example.com"), meta=META
        ).lead_id
        if i % 2:
            s.assign(lead_id=lead, owner=f"rep-{i % 5}", meta=META)
        if i % 3 == 0:
            s.contact(lead_id=lead, via="call", meta=META)
            s.record_score(
                lead_id=lead,
                breakdown=ScoreBreakdown(demographic=i % 40, behavioral=5, firmographic=1),
                rule_version="r1",
                meta=META,
            )
        if i % 7 == 0:
            s.adjust_score(lead_id=lead, points=-3, reason="stale", meta=META)


def test_a_rebuild_equals_the_incrementally_built_table_and_the_live_consumer_carries_on(engine: Engine) -> None:
    scripted_history(engine, 60)
    engine.start_background()
    wait_until_caught_up(engine)
    before = lead_rows(engine)
    report = engine.rebuild("lead_list", lambda done, total: None)
    assert report.equal and report.events > 60
    assert lead_rows(engine) == before
    scripted_history(engine, 5, tag="after")
    wait_until_caught_up(engine)
    assert len(lead_rows(engine)) == 65


def test_a_rebuild_under_concurrent_writes_loses_nothing(engine: Engine) -> None:
    scripted_history(engine, 30)
    engine.start_background()
    writer = threading.Thread(target=scripted_history, args=(engine, 40, "w"))
    writer.start()
    engine.rebuild("lead_list", lambda done, total: None)
    writer.join()
    wait_until_caught_up(engine)
    live = lead_rows(engine)
    assert len(live) == 70
    second = engine.rebuild("lead_list", lambda done, total: None)
    assert second.equal, "the swapped-in table, after catching up, equals a fresh rebuild"
    assert lead_rows(engine) == live


def test_a_damaged_read_model_is_reported_and_repaired_by_the_rebuild_command(engine: Engine) -> None:
    scripted_history(engine, 10)
    engine.start_background()
    wait_until_caught_up(engine)
    good = lead_rows(engine)
    with engine.db.cursor() as cur:
        cur.execute(f"UPDATE {engine.settings.read_schema}.lead_list_v4 SET status = 'converted'")
    env = os.environ | {
        "LEADS_POSTGRES_DSN": engine.settings.postgres_dsn or "",
        "LEADS_HOME": str(engine.settings.home),
    }
    done = subprocess.run(
        [LEADS, "projections", "rebuild", "lead_list"], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    assert "DIFFERENT from the live one" in done.stdout and "swapped in" in done.stdout
    assert lead_rows(engine) == good
