"""One reader feeding several read models (issue #21): each event is decoded and opened once,
every member ends up with the same rows as when it runs on its own, and keeps its own position.
Also: a Kafka group member's first poll returns records, not a fixed wait on assignment."""

from __future__ import annotations

import threading

from consumers.rebuild import checksum
from domain.values import EventMeta, LeadDetails
from infra.runtime import Engine
from infra.settings import Settings
from tests.conftest import wait_for

META = EventMeta(actor="rep-1")
MEMBERS = ["lead_list", "lead_detail", "feeds", "aging", "dedupe_index", "routing", "tasks"]


def capture(engine: Engine, n: int) -> None:
    for i in range(n):
        lead = engine.service.capture_lead(
            details=LeadDetails(contact_name=f"Fan {i}", email=f"fan{i}@example.com"), meta=META
        ).lead_id
        engine.service.contact(lead_id=lead, via="call", meta=META)
        engine.service.assign(lead_id=lead, owner=f"rep-{i % 3}", meta=META)


def positions(engine: Engine, consumer: str, source: str) -> dict[int, int]:
    with engine.db.cursor() as cur:
        return engine.positions.load(cur, consumer=consumer, source=source)


def sums(engine: Engine) -> dict[str, str]:
    with engine.db.cursor() as cur:
        return {t: checksum(cur, t) for n in MEMBERS for t in engine.projections[n].tables}


def test_one_reader_feeds_every_member_the_rows_each_gets_alone_and_each_keeps_its_position(
    engine: Engine, settings: Settings
) -> None:
    engine.prepare_read_store()
    capture(engine, 20)
    head = engine.service.recorder.max_notification_id()  # type: ignore[attr-defined]
    alone = [engine.consumer(n) for n in MEMBERS]
    threads = [threading.Thread(target=r.run) for r in alone]
    for t in threads:
        t.start()
    try:
        wait_for(lambda: all(positions(engine, r.name, "log").get(0) == head for r in alone), what="each alone")
    finally:
        engine.stop.set()
        for t in threads:
            t.join()
    expected = sums(engine)
    report = engine.rebuild_together(MEMBERS, lambda done, total: None)
    assert report.equal and report.events > 0
    assert sums(engine) == expected, "the swapped-in copies hold the same rows"

    # The same read models in a schema of their own, fed by one fan-out runner.
    fanned = Engine(
        settings=settings.model_copy(update={"read_schema": "fanned"}), db=engine.db, service=engine.service
    )
    with engine.db.cursor() as cur:
        cur.execute("CREATE SCHEMA fanned")
    fanned.prepare_read_store()
    runner = fanned.fan_out(MEMBERS)
    thread = threading.Thread(target=runner.run)
    thread.start()
    try:
        names = [fanned.projections[n].name for n in MEMBERS]
        assert runner.members == names
        wait_for(lambda: all(positions(fanned, n, "log").get(0) == head for n in names), what="every member's position")
    finally:
        fanned.stop.set()
        thread.join()
    got = sums(fanned)
    assert list(got.values()) == list(expected.values())


def test_a_group_members_first_poll_returns_records_without_waiting_out_its_timeout(kafka_engine: Engine) -> None:
    """The poll that joins the group positions the assigned partitions from the database and goes
    on to fetch them: before, the rebalance listener paused them, so that poll returned nothing
    whatever its timeout (a fixed 2 s at least) and records came only with the next one."""
    kafka_engine.prepare_read_store()
    capture(kafka_engine, 5)
    relay = kafka_engine.relay()
    thread = threading.Thread(target=relay.run)
    thread.start()
    try:
        head = kafka_engine.service.recorder.max_notification_id()  # type: ignore[attr-defined]
        wait_for(lambda: positions(kafka_engine, "relay", "log").get(0, 0) >= head, what="the relay to publish")
    finally:
        kafka_engine.stop.set()
        thread.join()
    runner = kafka_engine.fan_out(["lead_list", "routing"], client_id="first-poll")
    source = runner.source
    source.start(dict)  # no stored positions: every partition from its start
    try:
        first = source.poll(30.0)  # returns as soon as records arrive; the old code returned none
        assert first.events, "the first poll after joining returned nothing"
    finally:
        source.close()
