"""Hostile input through the console's entrances: huge, malformed, NUL, non-BMP and
out-of-range values in forms and query strings are refused with a 4xx naming the reason (or
stored intact when valid), never a 500; a form submitted twice at once is one command."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from api.auth import Role
from domain.values import EventMeta, LeadDetails
from infra.runtime import Engine
from tests.e2e.console.conftest import token_for
from tests.hostile import hostile_text
from tests.integration.helpers import wait_until_all_projected

META = EventMeta(actor="test-setup")


@pytest.fixture
def signed_in(engine: Engine) -> Iterator[tuple[TestClient, str, str]]:
    """A client signed in as an admin, its CSRF token, and a lead."""
    engine.start_background()
    lead = engine.service.capture_lead(details=LeadDetails(contact_name="Ada", email="ada@example.com"), meta=META)
    wait_until_all_projected(engine)
    with TestClient(engine.app(), follow_redirects=False) as client:
        form = client.get("/ui/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf
        token = token_for(engine, "admin-1", Role.ADMIN)
        assert client.post("/ui/login", data={"token": token, "csrf": csrf.group(1)}).status_code == 303
        yield client, csrf.group(1), str(lead.lead_id)


def refused_or_done(response: Any) -> None:
    assert response.status_code in (200, 303, 400, 401, 403, 404, 409, 413, 422), (
        response.status_code,
        response.text[:500],
    )


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(value=hostile_text())
def test_hostile_text_in_any_lead_form_is_refused_or_kept_never_a_server_error(
    signed_in: tuple[TestClient, str, str], value: str
) -> None:
    client, csrf, lead = signed_in
    for form, field in [("note", "text"), ("activity", "subject"), ("details", "job_title"), ("assign", "owner")]:
        body = {"csrf": csrf, field: value, "kind": "call", "version": "", "ctx": value[:100]}
        try:
            response = client.post(f"/ui/leads/{lead}/{form}", data=body)
        except UnicodeEncodeError:
            continue  # a lone surrogate cannot even be sent as a form
        refused_or_done(response)


@pytest.mark.parametrize(
    "query",
    [
        "min_score=500",
        "min_score=-1",
        "limit=0",
        "limit=99999999999999999999",
        "cursor=not-a-cursor",
        "cursor=" + "A" * 3000,
        "status=bogus",
        "country=Germany",
        "q=" + "x" * 5000,
        "q=%F0%9F%98%80%F0%9F%98%80",
        "q=a%00b",
        "sort=password",
        "saved=nope",
        "back=" + ".".join(["abc"] * 500),
    ],
)
def test_a_malformed_list_query_is_shown_as_a_reason_not_a_server_error(
    signed_in: tuple[TestClient, str, str], query: str
) -> None:
    client, _, _ = signed_in
    refused_or_done(client.get(f"/ui/leads?{query}"))


@pytest.mark.parametrize("at", ["yesterday", "", "9999-99-99", "-1", "2026-01-01T00:00:00" + "0" * 5000, "a\x00"])
def test_a_malformed_as_of_moment_is_refused(signed_in: tuple[TestClient, str, str], at: str) -> None:
    client, _, lead = signed_in
    response = client.get(f"/ui/leads/{lead}/as-of", params={"at": at})
    assert 400 <= response.status_code < 500, response.text


def test_malformed_bulk_transfers_and_views_are_refused(signed_in: tuple[TestClient, str, str]) -> None:
    client, csrf, _ = signed_in
    bad = [
        ("/ui/leads/transfer", {"csrf": csrf, "from_owner": "a", "to_owner": "b", "lead_ids": "not-a-uuid"}),
        ("/ui/leads/transfer", {"csrf": csrf, "from_owner": "", "to_owner": "", "which": "all"}),
        ("/ui/leads/transfer", {"csrf": csrf, "from_owner": "a" * 10_000, "to_owner": "b", "which": "all"}),
        ("/ui/views", {"csrf": csrf, "name": "x" * 1000}),
        ("/ui/views", {"csrf": csrf, "name": "my_leads"}),
        ("/ui/views", {"csrf": csrf, "name": "v", "query": "min_score=900"}),
        ("/ui/notifications/not-a-uuid/read", {"csrf": csrf}),
        ("/ui/login", {"csrf": csrf, "token": "x" * 100_000}),
    ]
    for url, body in bad:
        response = client.post(url, data=body)
        assert 400 <= response.status_code < 500, (url, response.status_code, response.text[:300])


def test_the_same_form_submitted_twice_at_once_is_one_command(
    engine: Engine, signed_in: tuple[TestClient, str, str]
) -> None:
    client, csrf, lead = signed_in
    body = {"csrf": csrf, "text": "Wants a demo", "command_key": "k" * 32}
    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(lambda _: client.post(f"/ui/leads/{lead}/note", data=body).status_code, range(4)))
    assert all(s in (303, 409) for s in statuses), statuses
    assert [n.text for n in engine.service.get_lead(lead).notes] == ["Wants a demo"]  # type: ignore[arg-type]


def test_a_transfer_of_every_matching_lead_over_the_bulk_limit_is_refused_naming_it(
    engine: Engine, signed_in: tuple[TestClient, str, str]
) -> None:
    from domain import limits

    client, csrf, _ = signed_in
    for i in range(3):
        engine.service.capture_lead(details=LeadDetails(contact_name=f"Lead {i}", email=f"l{i}@example.com"), meta=META)
    wait_until_all_projected(engine)
    limits.configure(limits.Limits(list_items=2))
    body = {"csrf": csrf, "from_owner": "a", "to_owner": "b", "which": "matching", "query": "q=lead"}
    response = client.post("/ui/leads/transfer", data=body)
    assert response.status_code == 422 and "more than 2 leads match" in response.text
