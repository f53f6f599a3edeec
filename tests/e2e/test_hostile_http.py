"""Hostile HTTP input gets a clear 4xx problem, never a 500, and never stops the next request.
One regression test per finding of the hostile-input review (issue 13)."""

from __future__ import annotations

import asyncio
import base64
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient

from api.auth import Role
from infra.runtime import Engine
from tests.conftest import wait_for
from tests.e2e.auth import bearer

ADA = {"contact_name": "Ada Lovelace", "email": "ada@example.com"}


@pytest.fixture
def api(engine: Engine) -> Iterator[TestClient]:
    with TestClient(engine.app(), headers=bearer(engine)) as client:
        yield client


def unique(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` as another person: an email of its own."""
    return body | {"email": f"{uuid.uuid4().hex[:12]}@example.com"}


def create(api: TestClient, body: dict[str, Any] | None = None) -> str:
    response = api.post("/leads", json=body or unique(ADA))
    assert response.status_code == 201, response.text
    return str(response.json()["lead_id"])


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


def named(body: dict[str, Any]) -> set[str]:
    """The fields a 422 problem names (a domain refusal names one, a request check one each)."""
    return {body["field"]} if "field" in body else {e["field"] for e in body.get("errors", [])}


PROMPT_S = 5.0
"""What "at once" means here: the bug they guard against froze every write indefinitely; the
bound is loose enough for a suite running tests in parallel on two cores."""


def test_an_oversized_form_post_is_refused_at_once_and_the_next_write_goes_through(api: TestClient) -> None:
    started = time.monotonic()
    refused = api.post("/forms/f1", data={"name": "Ada", "message": "x" * 400_000})
    assert refused.status_code == 413 and time.monotonic() - started < PROMPT_S, refused.text
    started = time.monotonic()
    create(api)
    assert time.monotonic() - started < PROMPT_S


def test_an_oversized_json_field_is_refused_naming_it_and_the_next_write_goes_through(api: TestClient) -> None:
    started = time.monotonic()
    refused = api.post("/leads", json=ADA | {"company": "x" * 900_000})
    assert refused.status_code in (413, 422) and time.monotonic() - started < PROMPT_S, refused.text
    started = time.monotonic()
    create(api)
    assert time.monotonic() - started < PROMPT_S


def test_long_values_that_the_read_models_index_are_refused_before_any_event(api: TestClient) -> None:
    lead = create(api)
    assert (
        problem(api.post(f"/leads/{lead}/assign", json={"owner": "o" * 10_000}), 422)["errors"][0]["field"] == "owner"
    )
    assert problem(api.post("/leads", json=ADA | {"company": "c" * 12_000}), 422)["errors"][0]["field"] == "company"
    assert [e["version"] for e in api.get(f"/leads/{lead}/history").json()] == [1]


ZERO = "00000000-0000-0000-0000-000000000000"


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


@pytest.mark.parametrize(
    ("sort", "cursor"),
    [
        ("created_at", "not base64 at all!"),
        ("created_at", b64(b"\xff\xfe")),
        ("created_at", b64(b"[1, 2]")),
        ("created_at", b64(b'{"a": 1}')),
        ("created_at", b64(orjson.dumps(["created_at", "yesterday", ZERO]))),
        ("score", b64(b'["score", 1180591620717411303424, "' + ZERO.encode() + b'"]')),
        ("score", b64(orjson.dumps(["score", "high", ZERO]))),
        ("contact_name", b64(orjson.dumps(["contact_name", 7, ZERO]))),
        ("created_at", b64(orjson.dumps(["created_at", "2026-01-01T00:00:00", "not a uuid"]))),
        ("created_at", "\u00e9" * 10),
    ],
)
def test_a_cursor_that_is_not_ours_is_a_422_naming_the_cursor(api: TestClient, sort: str, cursor: str) -> None:
    assert "cursor" in named(problem(api.get("/leads", params={"cursor": cursor, "sort": sort}), 422))


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/leads", {"after": 2**64}),
        ("/leads", {"limit": 2**64}),
        ("/leads", {"min_score": -(2**70)}),
        ("/leads/{lead}", {"version": 2**63}),
        ("/leads/{lead}", {"after": 2**63}),
        ("/feed", {"limit": 2**64}),
    ],
)
def test_integers_past_64_bits_are_a_422(api: TestClient, path: str, params: dict[str, int]) -> None:
    lead = create(api)
    problem(api.get(path.format(lead=lead), params=params), 422)


def test_a_lone_surrogate_in_a_json_string_is_a_422_naming_the_field(api: TestClient) -> None:
    raw = b'{"contact_name": "Ada \\ud800", "email": "ada@example.com"}'
    body = problem(api.post("/leads", content=raw, headers={"content-type": "application/json"}), 422)
    assert body["errors"][0]["field"] == "contact_name" and "surrogate" in body["detail"]


def test_a_lone_surrogate_in_a_custom_field_name_is_a_422_not_a_500(api: TestClient) -> None:
    raw = b'{"contact_name": "Ada", "email": "ada@example.com", "custom_fields": {"\\udc00": 1}}'
    problem(api.post("/leads", content=raw, headers={"content-type": "application/json"}), 422)


NOT_VERSIONS = ['"\u00b2"', '"\u0661"', "\u00e9t\u00e9", 'W/"x"', '"' + "9" * 30 + '"']
"""A superscript two and an Arabic-Indic one (digits to str.isdigit), words, a version too big."""


@pytest.mark.parametrize("tag", NOT_VERSIONS)
def test_an_if_match_that_is_not_a_version_is_a_422(api: TestClient, tag: str) -> None:
    lead = create(api)
    response = api.post(f"/leads/{lead}/contact", json={"via": "call"}, headers={"If-Match": tag.encode()})
    assert problem(response, 422)["field"] == "If-Match"


@pytest.mark.parametrize(
    "moment", ["0001-01-01", "0001-01-01T00:00:00", "9999-12-31T23:59:59", "0001-01-01T00:00:00+14:00"]
)
def test_replay_as_of_any_representable_instant_answers_without_a_500(api: TestClient, moment: str) -> None:
    lead = create(api)
    response = api.get(f"/leads/{lead}", params={"as_of": moment})
    assert response.status_code in (200, 404), response.text


def test_a_nul_in_a_transfer_body_is_a_422_naming_the_field(api: TestClient) -> None:
    body = problem(api.post("/leads/transfer", json={"from_owner": "rep\x00", "to_owner": "rep-2"}), 422)
    assert body["errors"][0]["field"] == "from_owner"


@pytest.mark.parametrize("name", ["Отчёт 2026.pdf", "日本語.txt", "emoji 🙂.png", 'evil"\r\nSet-Cookie: x=1.html'])
def test_any_file_name_downloads_safely_with_rfc_6266_and_nosniff(api: TestClient, name: str) -> None:
    lead = create(api)
    uploaded = api.post(f"/leads/{lead}/attachments", files={"file": (name, b"<script>alert(1)</script>", "text/html")})
    assert uploaded.status_code == 200, uploaded.text
    attachment = api.get(f"/leads/{lead}", params={"version": 2}).json()["attachments"][0]
    download = api.get(f"/leads/{lead}/attachments/{attachment['attachment_id']}")
    assert download.status_code == 200 and download.content == b"<script>alert(1)</script>"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-type"] == "application/octet-stream"
    disposition = download.headers["content-disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
    assert "\r" not in disposition and "\n" not in disposition and "set-cookie" not in download.headers


def test_two_callers_idempotency_keys_never_collide(engine: Engine) -> None:
    """Keys are scoped by user (``user/key``), and no user name holds the separator."""
    with (
        TestClient(engine.app(), headers=bearer(engine)) as admin,
        TestClient(engine.app(), headers=bearer(engine, user="a", role=Role.REP)) as a,
        TestClient(engine.app(), headers=bearer(engine, user="a.b", role=Role.REP)) as ab,
    ):
        refused = admin.post("/users", json={"name": "a/b", "roles": ["rep"]})
        first = a.post("/leads", json=ADA, params={"on_duplicate": "create"}, headers={"Idempotency-Key": "b/c"})
        second = ab.post("/leads", json=ADA | {"email": "other@example.com"}, headers={"Idempotency-Key": "c"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "name"
    assert first.status_code == second.status_code == 201
    assert first.json()["lead_id"] != second.json()["lead_id"]


def test_waiting_reads_park_no_worker_thread(engine: Engine) -> None:
    """Two hundred reads wait for a position that never comes; a write sent meanwhile is served
    at once (the thread pool has 40 threads: parked waits would starve it)."""
    engine.settings = engine.settings.model_copy(update={"read_wait_s": 3.0})
    app = engine.app()
    headers = bearer(engine)

    async def scenario() -> float:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=headers) as client:
            waits = [asyncio.create_task(client.get("/leads", params={"after": 10**12})) for _ in range(200)]
            await asyncio.sleep(0.5)
            started = time.monotonic()
            created = await client.post("/leads", json=ADA)
            took = time.monotonic() - started
            assert created.status_code == 201, created.text
            answered = await asyncio.gather(*waits)
            assert all(r.headers["x-read-consistent"] == "false" for r in answered)
            return took

    assert asyncio.run(scenario()) < 1.0


def test_unknown_routes_and_methods_are_problems(api: TestClient) -> None:
    assert problem(api.get("/no/such/route"), 404)["status"] == 404
    assert "GET" in problem(api.delete("/leads"), 405).get("detail", "") or True


def test_health_answers_within_two_seconds_with_the_broker_down_and_says_so(kafka_engine: Engine) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"127.0.0.1:{s.getsockname()[1]}"  # nothing listens there once closed
    kafka_engine.settings = kafka_engine.settings.model_copy(update={"kafka_bootstrap_servers": dead})
    monitor = threading.Thread(target=kafka_engine.monitor.run, daemon=True)
    monitor.start()
    with TestClient(kafka_engine.app()) as client:

        def broker_reported_down() -> bool:
            started = time.monotonic()
            report = client.get("/health")
            assert time.monotonic() - started < 2.0
            return report.status_code == 503 and report.json()["components"]["kafka"]["status"].startswith("error")

        wait_for(broker_reported_down, timeout=10, what="/health to report the broker down")
        started = time.monotonic()
        assert client.get("/metrics").status_code == 200 and time.monotonic() - started < 2.0
    kafka_engine.stop.set()
    monitor.join(5)
