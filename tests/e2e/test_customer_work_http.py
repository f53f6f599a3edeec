"""Through HTTP: the daily work on accounts and opportunities as on leads. Tasks on them reach
their assignee's overdue / due today views until done; followers get their changes in the home
feed and as notifications; each record has its own feed. Hostile input is refused naming the
field; a rep who never touched a record cannot see or change it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from api.auth import Role
from infra.runtime import Engine
from tests.e2e.auth import bearer
from tests.e2e.clock import at_noon
from tests.e2e.test_customer_master import GRACE, converted, ok
from tests.e2e.test_read_api import seen


@pytest.fixture
def api(engine: Engine) -> Iterator[TestClient]:
    engine.start_background()
    with TestClient(engine.app(), headers=bearer(engine)) as client:
        yield client


def as_user(api: TestClient, engine: Engine, user: str, role: Role = Role.REP) -> TestClient:
    return TestClient(api.app, headers=bearer(engine, user, role))


def test_tasks_on_an_account_and_an_opportunity_are_in_their_assignees_views_until_done(
    api: TestClient, engine: Engine
) -> None:
    now = at_noon(api)
    customer = converted(api, GRACE)
    late = ok(
        api.post(
            f"/accounts/{customer['account_id']}/tasks",
            json={"subject": "Renewal call", "assignee": "rep-2", "due_at": (now - timedelta(hours=1)).isoformat()},
        )
    )
    today = ok(
        api.post(
            f"/opportunities/{customer['opportunity_id']}/tasks",
            json={"subject": "Send the quote", "assignee": "rep-2", "due_at": (now + timedelta(minutes=1)).isoformat()},
        )
    )
    seen(api, today["position"])
    with as_user(api, engine, "rep-2") as rep:
        overdue = rep.get("/tasks", params={"view": "overdue"}).json()["items"]
        assert [(t["subject"], t["record"], str(t["record_id"])) for t in overdue] == [
            ("Renewal call", "account", customer["account_id"])
        ]
        due_today = {t["subject"]: t for t in rep.get("/tasks", params={"view": "due_today"}).json()["items"]}
        assert due_today["Send the quote"]["record"] == "opportunity"
    done = ok(api.post(f"/accounts/{customer['account_id']}/tasks/{late['created']['task_id']}/complete"))
    seen(api, done["position"])
    with as_user(api, engine, "rep-2") as rep:
        assert rep.get("/tasks", params={"view": "overdue"}).json()["items"] == []
        assert [t["task_id"] for t in rep.get("/tasks").json()["items"]] == [today["created"]["task_id"]]


def test_followers_of_an_opportunity_get_its_changes_in_their_home_feed_and_inbox(
    api: TestClient, engine: Engine
) -> None:
    customer = converted(api, GRACE)
    opp, account = customer["opportunity_id"], customer["account_id"]
    ok(api.post(f"/opportunities/{opp}/followers", json={"user": "watcher"}))
    ok(api.post(f"/accounts/{account}/followers", json={"user": "watcher"}))
    moved = ok(api.patch(f"/opportunities/{opp}", json={"stage": "proposal"}))
    task = ok(
        api.post(
            f"/accounts/{account}/tasks",
            json={"subject": "Kick-off", "assignee": "rep-9", "due_at": "2030-01-01T09:00:00Z"},
        )
    )
    seen(api, max(moved["position"], task["position"]))
    with as_user(api, engine, "watcher") as watcher:
        home = watcher.get("/feed").json()
        assert {(str(i["lead_id"]), i["kind"]) for i in home} >= {
            (opp, "opportunity.stage_moved"),
            (account, "account.task_scheduled"),
        }
        inbox = {i["summary"] for i in watcher.get("/notifications").json()}
        assert "moved from prospecting to proposal" in inbox
        assert any(s.startswith("scheduled a task for rep-9") for s in inbox)
        feed = watcher.get(f"/opportunities/{opp}/feed")
        assert feed.status_code == 200, feed.text
        assert [i["kind"] for i in feed.json()][:1] == ["opportunity.stage_moved"]
    gone = ok(api.delete(f"/opportunities/{opp}/followers/watcher"))
    again = ok(api.patch(f"/opportunities/{opp}", json={"probability": 70}))
    seen(api, max(gone["position"], again["position"]))
    with as_user(api, engine, "watcher") as watcher:
        inbox = {i["summary"] for i in watcher.get("/notifications").json()}
        assert "changed the probability from 40 to 70" not in inbox, "an unfollower hears no more"
    owner_feed = {i["summary"] for i in api.get("/feed").json()}
    assert "changed the probability from 40 to 70" in owner_feed, "the opportunity's owner sees its changes"


def test_a_rep_who_never_touched_a_record_neither_sees_nor_changes_its_work(api: TestClient, engine: Engine) -> None:
    account = converted(api, GRACE)["account_id"]
    body = {"subject": "x", "assignee": "stranger", "due_at": "2030-01-01T09:00:00Z"}
    with as_user(api, engine, "stranger") as stranger:
        assert stranger.post(f"/accounts/{account}/tasks", json=body).status_code == 404
        assert stranger.post(f"/accounts/{account}/followers", json={}).status_code == 404
        assert stranger.get(f"/accounts/{account}/feed").status_code == 404
    with as_user(api, engine, "auditor", Role.AUDITOR) as auditor:
        assert auditor.post(f"/accounts/{account}/tasks", json=body).status_code == 403
    assert api.post(f"/accounts/{uuid4()}/tasks", json=body).status_code == 404
    assert api.post(f"/opportunities/{account}/tasks", json=body).status_code == 404, "an account is no opportunity"


HOSTILE: list[tuple[str, dict[str, Any], str]] = [
    ("huge subject", {"subject": "x" * 100_000}, "subject"),
    ("NUL in the subject", {"subject": "call\x00back"}, "subject"),
    ("blank assignee", {"assignee": "  "}, "assignee"),
    ("malformed due time", {"due_at": "next tuesday"}, "due_at"),
    ("a number as due time", {"due_at": 1_700_000_000}, "due_at"),
    ("reminder after the due time", {"remind_at": "2031-01-01T09:00:00Z"}, "remind_at"),
    ("unknown field", {"priority": "high"}, "priority"),
]


@pytest.mark.parametrize(("case", "change", "field"), HOSTILE, ids=[c for c, _, _ in HOSTILE])
def test_hostile_task_input_on_a_record_is_refused_naming_the_field(
    api: TestClient, case: str, change: dict[str, Any], field: str
) -> None:
    account = converted(api, GRACE)["account_id"]
    body = {"subject": "Call 🚀 Ωmega", "assignee": "rep-2", "due_at": "2030-01-01T09:00:00Z"} | change
    refused = api.post(f"/accounts/{account}/tasks", json=body)
    assert refused.status_code in (413, 422), (case, refused.text)
    assert field in refused.text, case


def test_a_non_bmp_subject_is_kept_and_a_malformed_id_is_refused(api: TestClient) -> None:
    account = converted(api, GRACE)["account_id"]
    body = {"subject": "Call 🚀 Ωmega", "assignee": "rep-2", "due_at": "2030-01-01T09:00:00Z"}
    ok(api.post(f"/accounts/{account}/tasks", json=body))
    assert api.post("/accounts/not-a-uuid/tasks", json=body).status_code == 422
    assert api.post(f"/accounts/{account}/tasks/not-a-uuid/complete").status_code == 422
