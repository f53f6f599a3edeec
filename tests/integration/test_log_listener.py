"""An idle projection sleeps on LISTEN until the event store NOTIFYs. If its listening
connection is lost (a restart, a failover, a database dropped under a stopping engine), the wait
returns instead of killing the projection's thread, and the next wait listens on a new
connection, so the projection still wakes on the next event."""

from __future__ import annotations

import time

from domain.values import EventMeta, LeadDetails
from infra.postgres import LogListener
from infra.runtime import Engine


def test_a_listener_whose_connection_is_lost_listens_again_and_wakes_on_the_next_event(engine: Engine) -> None:
    listener = LogListener(engine.db, engine.service.recorder.channel_name)  # type: ignore[attr-defined]
    try:
        lost = listener.conn.info.backend_pid
        with engine.db.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(%s)", (lost,))
        listener.wait(0.5)
        assert not listener.conn.closed and listener.conn.info.backend_pid != lost, "it listens again"

        ada = LeadDetails(contact_name="Ada Lovelace", email="ada@example.com")
        engine.service.capture_lead(details=ada, meta=EventMeta(actor="test"))
        began = time.monotonic()
        listener.wait(30.0)
        assert time.monotonic() - began < 10.0, "woken by the capture's NOTIFY, not by the timeout"
    finally:
        listener.close()
