"""Rate limits shared by every API process through PostgreSQL (``LEADS_RATE_LIMITS__STORAGE_URI=
postgresql://``): two engines over one database, each with its own storage and connection pool,
as two ``leads serve`` processes would be, count against one limit; concurrent hits are counted
exactly; a refused hit is not counted; hostile keys are counted like any other; and when the
counter store cannot answer, requests go through rather than fail."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient
from limits import parse
from limits.strategies import FixedWindowRateLimiter, SlidingWindowCounterRateLimiter

from api.rate_limits import RateLimitSettings
from infra.rate_limit_store import TABLE, PostgresRateLimitStorage, shared_storage
from infra.runtime import Engine
from infra.settings import Settings

FORM = {"name": "Grace Hopper", "message": "call me"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    shared = RateLimitSettings(form_per_client="3/day", form_per_form="5/day", storage_uri="postgresql://")
    return settings.model_copy(update={"rate_limits": shared})


@pytest.fixture
def second(settings: Settings) -> Iterator[Engine]:
    """Another API process's engine over the same database."""
    other = Engine.open(settings)
    yield other
    other.close()


def post_form(app: object, address: str, form: str, n: int) -> object:
    with TestClient(app, client=(address, 40000)) as client:  # type: ignore[arg-type]
        return client.post(f"/forms/{form}", data=FORM | {"email": f"grace{n}@example.com"})


def test_two_api_processes_over_one_database_share_one_limit(engine: Engine, second: Engine) -> None:
    assert engine.rate_limit_storage is not second.rate_limit_storage, "each process has its own storage"
    one, two = engine.app(), second.app()
    answers = [post_form(app, "203.0.113.7", "contact", n) for n, app in enumerate([one, two, one])]
    assert [a.status_code for a in answers] == [201, 201, 201]  # type: ignore[attr-defined]
    remaining = [a.headers["ratelimit"] for a in answers]  # type: ignore[attr-defined]
    assert [r.split(";")[:2] for r in remaining] == [['"client"', "r=2"], ['"client"', "r=1"], ['"client"', "r=0"]]
    for app in (two, one):
        refused = post_form(app, "203.0.113.7", "contact", 9)
        assert refused.status_code == 429, refused.text  # type: ignore[attr-defined]
        assert int(refused.headers["retry-after"]) >= 1  # type: ignore[attr-defined]
    other = post_form(two, "203.0.113.8", "contact", 10)
    assert other.status_code == 201, "another client has its own count, and the refused ones spent none of the form's"  # type: ignore[attr-defined]


def test_hits_from_many_threads_of_two_storages_are_counted_exactly(engine: Engine) -> None:
    """Each check-and-count is one statement, so no interleaving lets one hit too many through."""
    storages = [PostgresRateLimitStorage(dsn=engine.db.dsn, schema=engine.settings.read_schema) for _ in range(2)]
    limiters = [SlidingWindowCounterRateLimiter(s) for s in storages]
    rate = parse("50/day")
    allowed: list[bool] = []
    lock = threading.Lock()

    def hammer(n: int) -> None:
        for _ in range(20):
            ok = limiters[n % 2].hit(rate, "crowd")
            with lock:
                allowed.append(ok)

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(6)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert (len(allowed), allowed.count(True)) == (120, 50)
        stats = limiters[1].get_window_stats(rate, "crowd")
        assert stats.remaining == 0, "the 70 refused hits were not counted either"
        limiters[0].clear(rate, "crowd")
        assert limiters[1].get_window_stats(rate, "crowd").remaining == 50
    finally:
        for s in storages:
            s.close()


def test_the_fixed_window_every_limits_storage_has_works_over_it_too(engine: Engine) -> None:
    storage = PostgresRateLimitStorage(dsn=engine.db.dsn, schema=engine.settings.read_schema)
    try:
        limiter, rate = FixedWindowRateLimiter(storage), parse("2/hour")
        assert [limiter.hit(rate, "k") for _ in range(3)] == [True, True, False]
        stats = limiter.get_window_stats(rate, "k")
        assert stats.remaining == 0 and 3590 < stats.reset_time - storage.get_expiry("other") <= 3600
        assert storage.check() and storage.reset() == 1 and storage.get("k") == 0
    finally:
        storage.close()


@pytest.mark.parametrize(
    "form", ["nul%00form", "x" * 5_000, "\U0001f600-form", "%ff%fe"], ids=["nul", "huge", "emoji", "bytes"]
)
def test_a_hostile_form_id_is_counted_like_any_other(engine: Engine, form: str) -> None:
    app = engine.app()
    answers = [post_form(app, f"198.51.100.{n}", form, n).status_code for n in range(6)]  # type: ignore[attr-defined]
    assert answers[-1] == 429, answers
    assert 429 not in answers[:5]


def test_when_the_counter_store_cannot_answer_requests_go_through_unlimited(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    app = engine.app()
    assert post_form(app, "192.0.2.1", "contact", 1).status_code == 201  # type: ignore[attr-defined]
    with psycopg.connect(engine.db.dsn, autocommit=True) as conn:
        conn.execute(f"DROP TABLE {engine.settings.read_schema}.{TABLE}")
    answers = [post_form(app, "192.0.2.1", "contact", n) for n in range(2, 6)]
    assert [a.status_code for a in answers] == [201] * 4  # type: ignore[attr-defined]
    assert all("ratelimit" not in a.headers for a in answers)  # type: ignore[attr-defined]
    assert any(re.search("rate limits not applied", r.getMessage()) for r in caplog.records)


def test_only_a_postgresql_uri_builds_the_shared_storage(settings: Settings) -> None:
    for uri in ("memory://", "redis://localhost:6379", "memcached://localhost:11211"):
        assert shared_storage(uri, engine_dsn="unused", schema="readmodel", options="") is None
    with pytest.raises(ValueError, match="rate"):
        RateLimitSettings(form_per_client="lots")
