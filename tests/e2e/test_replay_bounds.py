"""Replaying a lead answers only for versions it has: a version past the head (or a time before
its first event) is a 404 problem naming the query parameter and what exists."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from infra.runtime import Engine
from tests.e2e.auth import bearer


@pytest.fixture
def api(engine: Engine) -> Iterator[TestClient]:
    with TestClient(engine.app(), headers=bearer(engine)) as client:
        yield client


@pytest.fixture
def lead(api: TestClient) -> str:
    body = {"contact_name": "Grace Hopper", "email": "grace@example.com"}
    lead_id: str = api.post("/leads", json=body, headers={"Idempotency-Key": "replay-1"}).json()["lead_id"]
    assert api.post(f"/leads/{lead_id}/contact", json={"via": "call"}).status_code == 200
    return lead_id


def test_the_head_version_replays(api: TestClient, lead: str) -> None:
    response = api.get(f"/leads/{lead}", params={"version": 2})
    assert response.status_code == 200 and response.json()["version"] == 2


@pytest.mark.parametrize("version", [3, 1_000])
def test_a_version_past_the_head_is_not_found_naming_the_field(api: TestClient, lead: str, version: int) -> None:
    response = api.get(f"/leads/{lead}", params={"version": version})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["field"] == "version" and f"no version {version}" in problem["detail"]
    assert "1 to 2" in problem["detail"]


def test_a_time_before_the_first_event_is_not_found_naming_the_field(api: TestClient, lead: str) -> None:
    before = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    response = api.get(f"/leads/{lead}", params={"as_of": before})
    assert response.status_code == 404 and response.json()["field"] == "as_of"


def test_an_unknown_lead_is_still_just_not_found(api: TestClient) -> None:
    response = api.get("/leads/00000000-0000-4000-8000-000000000000", params={"version": 1})
    assert response.status_code == 404 and "field" not in response.json()
