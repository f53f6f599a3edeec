"""What operators see: JSON log lines carrying the request id (and the CloudEvents id while a
message is handled), one access line per request, and Prometheus metrics of HTTP requests by
route template and status beside the process's own, named by Prometheus conventions."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from consumers.log_context import handling
from infra import logs
from infra.runtime import Engine
from tests.e2e.auth import bearer


@pytest.fixture
def api(engine: Engine) -> Iterator[TestClient]:
    with TestClient(engine.app(), headers=bearer(engine)) as client:
        yield client


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """The root logger's output as the engine writes it (JSON), captured."""
    stream = io.StringIO()
    handler = logs.handler(json=True, stream=stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def samples(api: TestClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = api.get("/metrics")
    assert response.status_code == 200
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def test_requests_are_counted_and_timed_by_route_template_and_status(api: TestClient) -> None:
    lead = api.post("/leads", json={"contact_name": "Ada", "email": "ada@example.com"}).json()["lead_id"]
    for _ in range(2):
        api.get(f"/leads/{lead}", params={"version": 1})
    api.get("/no/such/route")
    found = samples(api)
    by_route = {"method": "GET", "route": "/leads/{lead_id}", "status": "200"}
    assert found[("leads_http_requests_total", frozenset(by_route.items()))] == 2
    assert found[("leads_http_request_duration_seconds_count", frozenset(by_route.items()))] == 2
    created = {"method": "POST", "route": "/leads", "status": "201"}
    assert found[("leads_http_requests_total", frozenset(created.items()))] == 1
    unmatched = {"method": "GET", "route": "unmatched", "status": "404"}
    assert found[("leads_http_requests_total", frozenset(unmatched.items()))] == 1
    assert not any(lead in dict(labels).get("route", "") for _, labels in found), "no series per lead"


def test_metrics_include_the_process_and_the_engine_gauges(api: TestClient) -> None:
    names = {name for name, _ in samples(api)}
    assert {"process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds"} <= names
    assert "leads_up" in names


def test_each_request_writes_one_json_access_line_with_its_request_id(api: TestClient, log_lines: io.StringIO) -> None:
    response = api.get("/notifications", headers={"X-Request-ID": "req-42"})
    assert response.headers["x-request-id"] == "req-42"
    access = [line for line in lines(log_lines) if line["logger"] == "leads.access"]
    assert len(access) == 1, access
    assert access[0] | {"duration_ms": 0} == access[0] | {
        "level": "INFO",
        "message": "GET /notifications 200",
        "method": "GET",
        "path": "/notifications",
        "route": "/notifications",
        "status": 200,
        "request_id": "req-42",
        "duration_ms": 0,
    }


def test_a_request_without_an_id_gets_one_that_its_events_and_log_lines_share(
    api: TestClient, log_lines: io.StringIO
) -> None:
    response = api.post("/leads", json={"contact_name": "Ada", "email": "ada@example.com"})
    request_id = response.headers["x-request-id"]
    history = api.get(f"/leads/{response.json()['lead_id']}/history").json()
    assert history[0]["correlation_id"] == request_id
    created = [line for line in lines(log_lines) if line.get("route") == "/leads" and line["method"] == "POST"]
    assert [line["request_id"] for line in created] == [request_id]


def test_lines_written_while_a_message_is_handled_carry_its_cloudevents_id(log_lines: io.StringIO) -> None:
    with handling("ce-7"):
        logging.getLogger("consumers.intake").warning("intake: dead-lettered at parse: broken")
    logging.getLogger("consumers.intake").warning("between messages")
    first, second = lines(log_lines)[-2:]
    assert (first["ce_id"], first["message"]) == ("ce-7", "intake: dead-lettered at parse: broken")
    assert "ce_id" not in second


@pytest.mark.parametrize("given", ["x" * 5_000, "caf\u00e9", "two words", ""])
def test_a_request_id_that_cannot_be_logged_as_is_is_replaced_by_a_fresh_one(api: TestClient, given: str) -> None:
    response = api.get("/notifications", headers={"X-Request-ID": given.encode("latin-1")})
    assert response.status_code == 200
    assert response.headers["x-request-id"] != given and len(response.headers["x-request-id"]) == 36
