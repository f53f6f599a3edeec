"""History edited directly in PostgreSQL does not go unnoticed: ``leads audit verify``, run as
an operator runs it, names each lead whose stored events were edited, deleted, reordered or
inserted, and the kind; an untouched (or lawfully erased) history verifies OK."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from domain.erasure import erase_lead
from domain.errors import DomainError
from domain.values import EventMeta, LeadDetails
from infra.blobs import BlobStore
from infra.runtime import Engine

LEADS = shutil.which("leads") or str(Path(os.sys.executable).parent / "leads")  # type: ignore[attr-defined]
META = EventMeta(actor="rep-1")
EDIT = "UPDATE {{events}} SET state = state || ' '::bytea WHERE originator_id = %s AND originator_version = {version}"
"""A change no reader would see: a space after the stored JSON. The chain sees it."""


def four_events(engine: Engine, i: int) -> UUID:
    s = engine.service
    lead = s.capture_lead(details=LeadDetails(contact_name=f"Lead {i}", email=f"l{i}@example.com"), meta=META).lead_id
    s.contact(lead_id=lead, via="call", meta=META)
    s.assign(lead_id=lead, owner="rep-2", meta=META)
    s.follow(lead_id=lead, user="manager", meta=META)
    return lead


def verify(engine: Engine, *args: str) -> subprocess.CompletedProcess[str]:
    s = engine.settings
    env = os.environ | {"LEADS_POSTGRES_DSN": str(s.postgres_dsn), "LEADS_HOME": str(s.home)}
    return subprocess.run(
        [LEADS, "audit", "verify", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def sql(engine: Engine, statement: str, *params: object) -> None:
    with engine.db.cursor() as cur:
        cur.execute(statement.format(events=engine.service.chain.events_table), params)  # type: ignore[union-attr]


def test_verify_names_each_edited_deleted_reordered_and_inserted_event(engine: Engine) -> None:
    edited, deleted, swapped, inserted, untouched = (four_events(engine, i) for i in range(5))
    assert verify(engine).returncode == 0

    sql(engine, EDIT.format(version=2), edited)
    sql(engine, "DELETE FROM {events} WHERE originator_id = %s AND originator_version = 3", deleted)
    sql(
        engine,
        "UPDATE {events} e SET state = o.state FROM {events} o "
        "WHERE e.originator_id = %s AND o.originator_id = e.originator_id "
        "AND (e.originator_version, o.originator_version) IN ((2, 3), (3, 2))",
        swapped,
    )
    sql(
        engine,
        "INSERT INTO {events} (originator_id, originator_version, topic, state) "
        "SELECT originator_id, 5, topic, state FROM {events} WHERE originator_id = %s AND originator_version = 4",
        inserted,
    )

    result = verify(engine)
    assert result.returncode == 1, result.stdout + result.stderr
    named = dict(re.findall(r"BROKEN (\S+) version (\d+: \w+)", result.stdout))
    assert named == {
        str(edited): "2: edited",
        str(deleted): "3: deleted",
        str(swapped): "2: reordered",
        str(inserted): "5: inserted",
    }, result.stdout
    assert str(untouched) not in result.stdout
    alone = verify(engine, "--lead", str(untouched))
    assert alone.returncode == 0 and "audit chain OK: 4 events" in alone.stdout, alone.stdout + alone.stderr


def test_an_erased_lead_still_verifies(engine: Engine) -> None:
    lead = four_events(engine, 1)
    erase_lead(
        service=engine.service,
        keys=engine.service.keys,
        blobs=BlobStore(engine.db, schema=engine.settings.event_schema),
        lead_id=lead,
        meta=EventMeta(actor="admin"),
        request="DSR-7",
        expected_version=None,
    )
    result = verify(engine, "--lead", str(lead))
    assert result.returncode == 0 and "OK: 5 events" in result.stdout, result.stdout + result.stderr


def test_verify_since_checks_what_was_written_since_anchored_on_the_link_before(engine: Engine) -> None:
    old = four_events(engine, 1)
    with engine.db.cursor() as cur:
        cur.execute("SELECT now()")
        (since,) = cur.fetchone()
    engine.service.contact(lead_id=old, via="mail", meta=META)
    fresh = four_events(engine, 2)
    result = verify(engine, "--since", since.isoformat())
    assert result.returncode == 0 and "OK: 5 events of 2 aggregates" in result.stdout, result.stdout + result.stderr
    sql(engine, EDIT.format(version=5), old)
    broken = verify(engine, "--since", since.isoformat())
    assert broken.returncode == 1 and f"BROKEN {old} version 5: edited" in broken.stdout, broken.stdout
    assert str(fresh) not in broken.stdout


@pytest.mark.parametrize(
    "args, reason",
    [
        (["--since", "2026-01-01T00:00:00"], "no time zone"),
        (["--since", "yesterday\U0001f600" * 10_000], "not an ISO 8601 time"),
        (["--since", "2026-13-45T99:00:00Z"], "not an ISO 8601 time"),
        (["--lead", "not-a-lead"], "not a lead id"),
        (["--lead", "9" * 100_000], "not a lead id"),
    ],
)
def test_bad_options_are_refused_saying_why(engine: Engine, args: list[str], reason: str) -> None:
    result = verify(engine, *args)
    said = " ".join(result.stderr.replace("│", " ").split())  # typer draws a box around the reason
    assert result.returncode == 2 and reason in said and len(said) < 2_000, said[-500:]


def test_writers_in_two_processes_racing_on_the_same_leads_leave_every_chain_whole(engine: Engine) -> None:
    """Each engine caches the links it wrote, so each often finds its cache stale: it must read
    the other's link, and a writer that lost a race must link nothing."""
    from infra.chain_verify import verify as verify_chain
    from infra.runtime import Engine as EngineClass

    other = EngineClass.open(engine.settings)
    leads = [four_events(engine, i) for i in range(3)]
    outcomes: list[str] = []

    def work(service: Any, worker: int) -> None:
        for n in range(15):
            lead = leads[(worker + n) % len(leads)]
            try:
                service.contact(lead_id=lead, via="call", meta=EventMeta(actor=f"w{worker}"))
                outcomes.append("saved")
            except DomainError:
                outcomes.append("lost a race")

    threads = [threading.Thread(target=work, args=(e.service, w)) for w, e in enumerate([engine, other, engine, other])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    other.close()
    saved = outcomes.count("saved")
    assert saved >= 15 and len(outcomes) == 60
    chain = engine.service.chain
    assert chain is not None
    report = verify_chain(chain)
    assert report.ok, report.breaks
    histories = [len(engine.service.history(lead)) for lead in leads]
    assert sum(histories) == 3 * 4 + saved
    assert [verify_chain(chain, aggregate=lead).events for lead in leads] == histories
