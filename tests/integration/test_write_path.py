"""No writer, however large its events, holds the events table's lock while anything but the
database works: other writers keep going, and every database wait has an end."""

from __future__ import annotations

import threading
import time
from uuid import uuid4

from fastapi.testclient import TestClient

from domain.limits import Limits
from domain.values import EventMeta, LeadDetails
from infra.runtime import Engine
from infra.settings import Settings
from tests.e2e.auth import bearer


def meta() -> EventMeta:
    return EventMeta(actor="writer", command_id=str(uuid4()))


def test_large_events_never_stall_other_writers(settings: Settings) -> None:
    """psycopg's pipeline mode could leave a large event half-sent while it held the lock
    (about every second save of a 400 kB event); twelve in a row catch that almost surely."""
    roomy = Limits(custom_field_value=100_000, custom_fields=5)
    engine = Engine.open(settings.model_copy(update={"limits": roomy}))
    big = {f"field{i}": "é" * 40_000 for i in range(5)}  # 400 kB of UTF-8
    small_done: list[float] = []
    failures: list[BaseException] = []

    def small_writer(stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                started = time.monotonic()
                engine.service.capture_lead(
                    details=LeadDetails(contact_name="Small", email=f"s{uuid4().hex[:8]}@example.com"), meta=meta()
                )
                small_done.append(time.monotonic() - started)
        except BaseException as e:
            failures.append(e)

    stop = threading.Event()
    other = threading.Thread(target=small_writer, args=(stop,), daemon=True)
    other.start()
    try:
        for i in range(12):
            done = threading.Event()

            def save_big(i: int = i, done: threading.Event = done) -> None:
                details = LeadDetails(contact_name=f"Big {i}", email=f"big{i}@example.com", custom_fields=big)
                engine.service.capture_lead(details=details, meta=meta())
                done.set()

            threading.Thread(target=save_big, daemon=True).start()
            assert done.wait(10), f"saving large event {i} did not finish within 10 s"
    finally:
        stop.set()
        other.join(10)
        engine.close()
    assert not failures, failures
    assert small_done and max(small_done) < 5, max(small_done, default=None)


def test_a_query_that_waits_too_long_for_a_lock_is_a_503_to_retry(settings: Settings) -> None:
    """A read-model query blocked by someone holding an exclusive lock gives up after the lock
    timeout and the client is told to retry, instead of waiting for ever."""
    engine = Engine.open(settings.model_copy(update={"db_lock_timeout_s": 1}))
    holder = engine.db.connect()
    holder.autocommit = False  # the lock is held until the rollback below
    try:
        with TestClient(engine.app(), headers=bearer(engine)) as api:
            table = engine.projections["lead_list"].tables[0]
            with holder.cursor() as cur:
                cur.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
            started = time.monotonic()
            busy = api.get("/leads")
            assert time.monotonic() - started < 4
            assert busy.status_code == 503 and busy.headers["retry-after"] == "1", busy.text
            assert busy.json()["type"].endswith(":unavailable")
            holder.rollback()
            assert api.get("/leads").status_code == 200
    finally:
        holder.close()
        engine.close()
