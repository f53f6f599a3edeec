"""Rate limits (tiny ones, set in this module's settings): per client address and per form on
the anonymous ``POST /forms/{id}``, per bearer token on the API; every limited answer says where
the client stands (IETF ratelimit-headers draft), and a refusal is a 429 problem with
``Retry-After``."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.auth import Role
from api.rate_limits import RateLimitSettings
from infra.runtime import Engine
from infra.settings import Settings
from tests.e2e.auth import bearer

FORM = {"name": "Grace Hopper", "message": "call me"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    tiny = RateLimitSettings(form_per_client="3/minute", form_per_form="5/minute", api_per_token="4/minute")
    return settings.model_copy(update={"rate_limits": tiny})


@pytest.fixture
def app(engine: Engine) -> Iterator[object]:
    yield engine.app()


def from_address(app: object, address: str) -> TestClient:
    return TestClient(app, client=(address, 40000))  # type: ignore[arg-type]


def form(n: int) -> dict[str, str]:
    return FORM | {"email": f"grace{n}@example.com"}


def assert_too_many(response: object, policy: str) -> None:
    assert response.status_code == 429, response.text  # type: ignore[attr-defined]
    headers = response.headers  # type: ignore[attr-defined]
    assert headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:leads-engine:problem:too-many-requests"  # type: ignore[attr-defined]
    assert 1 <= int(headers["retry-after"]) <= 60
    assert re.fullmatch(rf'"{policy}";r=0;t=\d+', headers["ratelimit"]), headers["ratelimit"]


def test_one_client_posting_forms_is_refused_past_its_limit_with_retry_after(app: object) -> None:
    with from_address(app, "203.0.113.7") as client:
        answers = [client.post("/forms/contact", data=form(n)) for n in range(3)]
        assert [a.status_code for a in answers] == [201, 201, 201]
        assert answers[0].headers["ratelimit-policy"] == '"client";q=3;w=60, "form";q=5;w=60'
        assert answers[0].headers["ratelimit"] == '"client";r=2;t=60'
        assert_too_many(client.post("/forms/other", data=form(9)), "client")
    with from_address(app, "203.0.113.8") as neighbour:
        assert neighbour.post("/forms/contact", data=form(10)).status_code == 201


def test_one_form_is_refused_past_its_limit_whoever_posts(app: object) -> None:
    for n in range(5):
        with from_address(app, f"198.51.100.{n}") as client:
            assert client.post("/forms/flooded", data=form(n)).status_code == 201
    with from_address(app, "198.51.100.99") as late:
        assert_too_many(late.post("/forms/flooded", data=form(99)), "form")
        assert late.post("/forms/quiet", data=form(100)).status_code == 201


def test_one_token_is_refused_past_its_limit_and_another_is_not(app: object, engine: Engine) -> None:
    busy, other = bearer(engine, "busy-1", Role.REP), bearer(engine, "other-1", Role.REP)
    with TestClient(app) as client:  # type: ignore[arg-type]
        answers = [client.get("/notifications", headers=busy) for _ in range(4)]
        assert [a.status_code for a in answers] == [200] * 4
        assert [a.headers["ratelimit"].split(";")[1] for a in answers] == ["r=3", "r=2", "r=1", "r=0"]
        assert_too_many(client.get("/notifications", headers=busy), "token")
        assert client.get("/notifications", headers=other).status_code == 200
        health = client.get("/health")
        assert "ratelimit" not in health.headers


def test_rate_limits_are_settings_refusing_what_is_not_a_rate() -> None:
    with pytest.raises(ValueError, match="60/minute"):
        RateLimitSettings(form_per_client="lots")
    assert Settings(_env_file=None).rate_limits.enabled  # type: ignore[call-arg]
