"""Read-your-writes across processes: a projection's commit in another process wakes a
waiting query through LISTEN/NOTIFY, and only once it has committed."""

from __future__ import annotations

from consumers.read_consistency import ReadConsistency
from infra.runtime import Engine
from tests.conftest import wait_for

PROJECTION = "lead_list_v4"


def commit_position(engine: Engine, position: int, *, commit: bool = True) -> None:
    """What a projection process does with each batch: save its position (and NOTIFY) in its transaction."""
    with engine.db.connect() as conn, conn.cursor() as cur:
        conn.autocommit = False
        engine.positions.save(cur, consumer=PROJECTION, source="log", positions={0: position})
        conn.commit() if commit else conn.rollback()


def test_a_wait_wakes_on_another_processes_commit_and_never_on_a_rolled_back_one(engine: Engine) -> None:
    engine.prepare_read_store()
    commit_position(engine, 5)  # before the feed: read when it starts
    engine.follow_positions()
    wait_for(lambda: engine.board.positions(PROJECTION) == {0: 5}, what="the feed to read the stored positions")
    consistency = ReadConsistency(
        cursor=engine.db.cursor,
        positions=engine.positions,
        events_topic=None,
        board=engine.board,
        runs_here=engine.runs,
        fed=True,
    )
    commit_position(engine, 42, commit=False)
    assert not consistency.wait(PROJECTION, 42, timeout_s=0.3)
    commit_position(engine, 42)
    assert consistency.wait(PROJECTION, 42, timeout_s=5)
    wait_for(lambda: engine.board.positions(PROJECTION) == {0: 42}, what="the feed to hear of the commit")


def test_a_malformed_notification_on_the_channel_is_ignored_and_the_feed_goes_on(engine: Engine) -> None:
    engine.prepare_read_store()
    engine.follow_positions()
    with engine.db.connect() as conn:
        conn.execute("SELECT pg_notify(%s, %s)", (engine.positions.channel, '{"consumer": "x", "positions": 7}'))
        conn.execute("SELECT pg_notify(%s, %s)", (engine.positions.channel, "not json"))
    commit_position(engine, 9)
    wait_for(lambda: engine.board.positions(PROJECTION) == {0: 9}, what="the feed to go on after bad payloads")
