"""Through HTTP: tasks on a lead, each user's overdue / due today / open views, completing one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from api.auth import Role
from infra.runtime import Engine
from tests.e2e.auth import bearer
from tests.e2e.clock import at_noon
from tests.e2e.test_read_api import capture, seen


@pytest.fixture
def api(engine: Engine) -> Iterator[TestClient]:
    engine.start_background()
    with TestClient(engine.app(), headers=bearer(engine)) as client:
        yield client


def test_each_user_sees_their_overdue_and_due_today_tasks_until_done(api: TestClient, engine: Engine) -> None:
    now = at_noon(api)
    end_of_day = now.replace(hour=23, minute=59, second=59)
    lead = capture(api, {"contact_name": "Ada Lovelace", "email": "ada@example.com"})["lead_id"]
    late = api.post(
        f"/leads/{lead}/tasks",
        json={"subject": "Call back", "assignee": "rep-2", "due_at": (now - timedelta(hours=1)).isoformat()},
    )
    assert late.status_code == 201, late.text
    today = api.post(
        f"/leads/{lead}/tasks",
        json={"subject": "Send pricing", "assignee": "rep-2", "due_at": end_of_day.isoformat()},
    ).json()
    other = api.post(
        f"/leads/{lead}/tasks",
        json={"subject": "Not mine", "assignee": "rep-3", "due_at": (now - timedelta(hours=1)).isoformat()},
    ).json()
    seen(api, other["position"])
    with TestClient(api.app, headers=bearer(engine, "rep-2", Role.REP)) as rep:
        overdue = rep.get("/tasks", params={"view": "overdue"}).json()["items"]
        assert [t["subject"] for t in overdue] == ["Call back"]
        due_today = [t["subject"] for t in rep.get("/tasks", params={"view": "due_today"}).json()["items"]]
        assert due_today[-1] == "Send pricing" and set(due_today) <= {"Call back", "Send pricing"}
        assert {t["subject"] for t in rep.get("/tasks").json()["items"]} == {"Call back", "Send pricing"}
    done = api.post(f"/leads/{lead}/tasks/{late.json()['created']['task_id']}/complete")
    assert done.status_code == 200, done.text
    seen(api, done.json()["position"])
    with TestClient(api.app, headers=bearer(engine, "rep-2", Role.REP)) as rep:
        assert rep.get("/tasks", params={"view": "overdue"}).json()["items"] == []
        assert [t["task_id"] for t in rep.get("/tasks").json()["items"]] == [today["created"]["task_id"]]
    refused = api.post(
        f"/leads/{lead}/tasks",
        json={
            "subject": "x",
            "assignee": "rep-2",
            "due_at": now.isoformat(),
            "remind_at": (now + timedelta(days=1)).isoformat(),
        },
    )
    assert refused.status_code == 422 and refused.json()["field"] == "remind_at"
