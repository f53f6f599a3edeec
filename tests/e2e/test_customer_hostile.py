# ruff: noqa: RUF001 (non-BMP letters are the point of these inputs)
"""Hostile input at the new entrances (customer lists, opportunity changes, tasks, duplicate
decisions): huge, malformed, non-BMP and NUL values, out-of-range numbers, and the same decision
sent many times at once. Each answer is a 4xx naming the field, or a success; never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from domain.lead_events import DuplicateDismissed
from infra.runtime import Engine
from tests.e2e.auth import bearer
from tests.e2e.test_customer_master import GRACE, converted


@pytest.fixture
def api(engine: Engine) -> Iterator[TestClient]:
    engine.start_background()
    with TestClient(engine.app(), headers=bearer(engine)) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/accounts", {"q": "ac\x00me"}, 400),
        ("/accounts", {"q": "x" * 10_000}, 422),
        ("/accounts", {"q": "𝔸cme 😀"}, 200),
        ("/contacts", {"limit": "0"}, 422),
        ("/contacts", {"limit": "501"}, 422),
        ("/contacts", {"cursor": "!!"}, 422),
        ("/contacts", {"cursor": "QUFBQQ=="}, 422),
        ("/contacts", {"account_id": "not-a-uuid"}, 422),
        ("/opportunities", {"stage": "won"}, 422),
        ("/opportunities", {"closing_after": "1e9"}, 422),
        ("/opportunities", {"open": "maybe"}, 422),
        ("/tasks", {"view": "someday"}, 422),
        ("/duplicates/scan", {"limit": "-1"}, 422),
    ],
)
def test_bad_list_parameters_are_refused_naming_them(
    api: TestClient, path: str, params: dict[str, str], status: int
) -> None:
    answer = api.get(path, params=params)
    assert answer.status_code == status, answer.text


@pytest.mark.parametrize(
    "body",
    [
        {"amount": "1e16"},
        {"amount": "-1"},
        {"probability": "50"},
        {"probability": 101},
        {"probability": True},
        {"close_date": "0"},
        {"stage": "x" * 10_000},
        {"owner": "me"},
    ],
)
def test_an_opportunity_change_out_of_range_is_refused(api: TestClient, body: dict[str, object]) -> None:
    opp = converted(api, GRACE)["opportunity_id"]
    answer = api.patch(f"/opportunities/{opp}", json=body)
    assert answer.status_code == 422, answer.text


@pytest.mark.parametrize(
    "body",
    [
        {"subject": "a\x00b", "assignee": "rep-1", "due_at": "2027-01-01T00:00:00Z"},
        {"subject": "x" * 10_000, "assignee": "rep-1", "due_at": "2027-01-01T00:00:00Z"},
        {"subject": "ok", "assignee": "", "due_at": "2027-01-01T00:00:00Z"},
        {"subject": "ok", "assignee": "rep-1", "due_at": "soon"},
        {"subject": "ok", "assignee": "rep-1"},
    ],
)
def test_a_malformed_task_is_refused(api: TestClient, body: dict[str, object]) -> None:
    lead = api.post("/leads", json={"contact_name": "Ada", "email": "ada@example.com"}).json()["lead_id"]
    answer = api.post(f"/leads/{lead}/tasks", json=body)
    assert answer.status_code == 422, answer.text


def test_a_non_bmp_task_subject_and_form_name_are_kept(api: TestClient) -> None:
    lead = api.post("/leads", json={"contact_name": "Ada", "email": "ada@example.com"}).json()["lead_id"]
    answer = api.post(
        f"/leads/{lead}/tasks", json={"subject": "📞 call 𝔸da", "assignee": "rep-1", "due_at": "2027-01-01T00:00:00Z"}
    )
    assert answer.status_code == 201, answer.text
    with TestClient(api.app) as public:
        assert public.post("/forms/contact-us", data={"name": "𝔸da 😀", "email": "e@example.com"}).status_code == 201


def test_the_same_decision_sent_many_times_at_once_is_recorded_once(api: TestClient, engine: Engine) -> None:
    customer = converted(api, GRACE)
    with TestClient(api.app) as public:
        lead = public.post("/forms/contact-us", data={"name": "Grace", "email": "grace@navy.example"}).json()["lead_id"]

    def decide(_: int) -> int:
        return api.post(f"/leads/{lead}/not-duplicate", json={"of_id": customer["contact_id"]}).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(decide, range(16)))
    assert set(statuses) <= {200, 409} and 200 in statuses, statuses
    assert sum(isinstance(e, DuplicateDismissed) for e in engine.service.history(lead)) == 1
    assert api.post(f"/leads/{lead}/not-duplicate", json={"of_id": "nope"}).status_code == 422
