"""Who may do what, derived from the one permission table (``domain.access.PERMISSIONS``) and the
API's own document: every route declares the action it needs (``x-permission``), so a route
without one fails here, and every case comes from the two of them, nothing listed by hand.

For every route and role: a role without the action gets 403 and nothing is recorded; a role
with it acts on a lead in its scope (and when that succeeds, the lead's history grows), and
gets 404 for a lead outside its scope, with nothing recorded.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from api.auth import PUBLIC
from domain.access import PERMISSIONS, Action, Role, Scope
from infra.runtime import Engine
from tests.conftest import wait_for
from tests.e2e.auth import bearer

WRITES = {"post", "put", "patch", "delete"}


@pytest.fixture
def admin(engine: Engine) -> Iterator[TestClient]:
    engine.start_background()
    with TestClient(engine.app(), headers=bearer(engine)) as client:
        yield client


def operations(client: TestClient) -> list[tuple[str, str, dict[str, Any]]]:
    spec = client.get("/openapi.json").json()
    return [(method, path, op) for path, item in spec["paths"].items() for method, op in item.items()]


def test_every_route_declares_the_action_it_needs(admin: TestClient) -> None:
    actions = {a.value for a in Action} | {PUBLIC}
    undeclared = [f"{m.upper()} {p}" for m, p, op in operations(admin) if op.get("x-permission") not in actions]
    assert undeclared == []


def test_the_table_gives_an_auditor_no_write_and_an_integration_nothing_beyond_what_it_sent() -> None:
    assert set(PERMISSIONS[Role.AUDITOR]) == {Action.VIEW, Action.EXPORT, Action.REPLAY}
    integration = PERMISSIONS[Role.INTEGRATION]
    assert integration[Action.VIEW] is Scope.SENT and Action.EXPORT not in integration


@dataclass
class World:
    """Leads made by an admin: one in the caller's scope (and another, for a merge), one outside
    it, each with a file attached and followed by a watcher."""

    api: TestClient
    engine: Engine
    user: str
    role: Role
    caller: dict[str, str]
    mine: str = ""
    also_mine: str = ""
    theirs: str = ""
    files: dict[str, str] | None = None
    jobs: dict[str, str] | None = None
    """The caller's own finished import and mass action, for the routes that read one."""

    def lead(self, owner: str | None, *, by: dict[str, str] | None = None) -> str:
        n = uuid.uuid4().hex[:12]
        body = {"contact_name": f"Person {n}", "email": f"{n}@example.com", "company": f"Company {n}"}
        created = self.api.post("/leads", json=body, headers=by or {})
        assert created.status_code == 201, created.text
        lead = str(created.json()["lead_id"])
        if owner:
            assert self.api.post(f"/leads/{lead}/assign", json={"owner": owner}).status_code == 200
        assert self.api.post(f"/leads/{lead}/followers", json={"user": "watcher"}).status_code == 200
        return lead

    def attach(self, lead: str) -> str:
        done = self.api.post(f"/leads/{lead}/attachments", files={"file": ("cv.txt", b"hello", "text/plain")})
        assert done.status_code == 200, done.text
        state = self.api.get(f"/leads/{lead}", params={"version": done.json()["version"]}).json()
        return str(state["attachments"][-1]["attachment_id"])

    def setup(self) -> World:
        sent = self.role is Role.INTEGRATION
        self.mine = self.lead(None if sent else self.user, by=self.caller if sent else None)
        self.also_mine = self.lead(None if sent else self.user, by=self.caller if sent else None)
        self.theirs = self.lead("stranger")
        self.files = {self.mine: self.attach(self.mine), self.theirs: self.attach(self.theirs)}
        return self

    def events(self) -> int:
        return self.engine.event_log.head()


def example(schema: dict[str, Any], spec: dict[str, Any]) -> Any:
    """A value the schema accepts: its example, else its first enum value, else one of its type
    (an object: its required properties)."""
    if schema.get("examples"):
        return schema["examples"][0]
    if "$ref" in schema:
        return example(spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]], spec)
    if "example" in schema:
        return schema["example"]
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        return example(next(s for s in schema["anyOf"] if s.get("type") != "null"), spec)
    kind = schema.get("type")
    formats = {"date": "2027-06-30", "date-time": "2027-06-30T12:00:00Z", "uuid": str(uuid.uuid4())}
    if kind == "string" and schema.get("format") in formats:
        return formats[schema["format"]]
    if kind == "object":
        return {name: example(schema["properties"][name], spec) for name in schema.get("required", [])}
    if kind == "array":
        return [example(schema.get("items", {}), spec)]
    return {"string": "a value", "integer": 1, "number": 1, "boolean": True}.get(str(kind), "a value")


def request(world: World, method: str, path: str, op: dict[str, Any], lead: str, spec: dict[str, Any]) -> Response:
    """The call, on ``lead``, with a body that changes something (so an allowed write records)."""
    n = uuid.uuid4().hex[:8]
    files = world.files or {}
    url = (
        path.replace("{lead_id}", lead)
        .replace("{attachment_id}", files.get(lead, str(uuid.uuid4())))
        .replace("{notification_id}", str(uuid.uuid4()))
        .replace("{task_id}", str(uuid.uuid4()))
        .replace("{record_id}", str(uuid.uuid4()))
        .replace("{name}", "mine")
        .replace("{user}", "watcher")
        .replace("{form_id}", "contact")
    )
    headers = {} if op.get("x-permission") == PUBLIC else world.caller
    for param, job in (world.jobs or {}).items():
        url = url.replace(param, job)
    content = op.get("requestBody", {}).get("content", {})
    if "multipart/form-data" in content:
        return world.api.request(method, url, headers=headers, files={"file": (f"{n}.txt", n.encode(), "text/plain")})
    if "application/x-www-form-urlencoded" in content:
        return world.api.request(
            method, url, headers=headers, data={"name": f"Person {n}", "email": f"{n}@example.com"}
        )
    body = example(content["application/json"]["schema"], spec) if "application/json" in content else None
    if path.endswith("/followers"):
        body = {"user": f"follower-{n}"}
    if isinstance(body, dict):
        body = changed(body, world, n)
    reads_a_view = method == "get" and path in ("/leads", "/leads/{lead_id}")
    params = {"after": world.events()} if reads_a_view else None  # the read models have seen the setup
    return world.api.request(method, url, headers=headers, json=body, params=params)


def own_jobs(world: World) -> dict[str, str]:
    """An import (confirmed and finished) and a mass action of the caller's, or any ids when
    their role may start none; all settled first, so no background work records events while
    the routes are tried."""
    headers = world.caller
    upload = world.api.post(
        "/imports", headers=headers, files={"file": ("a.csv", b"Name,Email\nAnn,ann@example.com\n")}
    )
    bulk = world.api.post("/leads/bulk", headers=headers, json={"action": "follow", "lead_ids": []})
    jobs = {"{import_id}": str(uuid.uuid4()), "{job_id}": str(uuid.uuid4())}
    if upload.status_code == 202:
        import_id = jobs["{import_id}"] = upload.json()["import_id"]
        wait_for(lambda: world.api.get(f"/imports/{import_id}").json()["state"] == "planned", what="the dry run")
        world.api.post(f"/imports/{import_id}/confirm", headers=headers)
        wait_for(lambda: world.api.get(f"/imports/{import_id}").json()["state"] == "finished", what="the import")
    if bulk.status_code == 202:
        job_id = jobs["{job_id}"] = bulk.json()["job_id"]
        wait_for(lambda: world.api.get(f"/leads/bulk/{job_id}").json()["state"] == "finished", what="the job")
    return jobs


def changed(body: dict[str, Any], world: World, n: str) -> dict[str, Any]:
    """Make the example body do something on this run: a new email, owner or follower, the other
    lead of the caller's as the one merged away."""
    if "email" in body or "contact_name" in body:
        body = body | {"email": f"{n}@example.com", "contact_name": f"Person {n}", "company": f"Company {n}"}
    if "owner" in body:
        body = body | {"owner": f"owner-{n}"}
    if "user" in body:
        body = body | {"user": f"follower-{n}"}
    if "duplicate_ids" in body:
        body = body | {"duplicate_ids": [world.also_mine]}
    if "changes" in body and isinstance(body["changes"], dict) and "company" in body["changes"]:
        body = body | {"changes": {"company": f"Company {n}"}}
    if "from_owner" in body:
        body = body | {"from_owner": world.user, "to_owner": f"owner-{n}"}
    return body


def fresh(world: World, path: str) -> str:
    """A new lead in the caller's scope for one case (so what one case did, an erasure or a merge,
    changes nothing for the next), with a file attached if the route reads one."""
    sent = world.role is Role.INTEGRATION
    lead = world.lead(None if sent else world.user, by=world.caller if sent else None)
    if "{attachment_id}" in path:
        world.files = (world.files or {}) | {lead: world.attach(lead)}
    return lead


@pytest.mark.parametrize("role", list(Role))
def test_every_route_gives_each_role_the_answer_the_table_says(engine: Engine, admin: TestClient, role: Role) -> None:
    user = f"{role.value}-1"
    team = ["teammate"] if role is Role.MANAGER else None
    world = World(admin, engine, user, role, bearer(engine, user, role, team=team)).setup()
    world.jobs = own_jobs(world)
    spec = admin.get("/openapi.json").json()
    allowed = PERMISSIONS[role]
    wrong: list[str] = []
    for method, path, op in operations(admin):
        needs = op.get("x-permission")
        on_lead = "{lead_id}" in path
        for theirs in (False, True) if on_lead else (False,):
            lead = world.theirs if theirs else (fresh(world, path) if on_lead else world.mine)
            before = world.events()
            answer = request(world, method, path, op, lead, spec)
            recorded = world.events() > before
            status = answer.status_code
            if needs == PUBLIC:
                right = status < 500 and status not in (401, 403)
            elif Action(needs) not in allowed:
                right = status == 403 and not recorded
            elif theirs and allowed[Action(needs)] is not Scope.ALL:
                right = status == 404 and not recorded
            else:
                right = status < 500 and status not in (401, 403) and not (on_lead and status == 404)
                if on_lead and method in WRITES and status < 300:
                    right = right and recorded
            if not right:
                whose = "their lead" if theirs else "its own lead" if on_lead else "no lead"
                wrong.append(f"{method.upper()} {path} ({whose}): {status}, recorded={recorded}: {answer.text[:160]}")
    assert not wrong, "\n".join(wrong)


def test_a_manager_sees_their_teams_leads_and_gets_404_for_another_teams_on_every_read(
    engine: Engine, admin: TestClient
) -> None:
    world = World(admin, engine, "mgr-a", Role.MANAGER, bearer(engine, "mgr-a", Role.MANAGER, team=["rep-a"]))
    ours, theirs = world.lead("rep-a"), world.lead("rep-b")
    manager = world.caller
    head = world.events()
    for path in ("", "/history", "/feed", "/conversion"):
        assert admin.get(f"/leads/{ours}{path}", headers=manager, params={"after": head}).status_code == 200, path
        assert admin.get(f"/leads/{theirs}{path}", headers=manager).status_code == 404, path
    assert admin.get(f"/leads/{theirs}", headers=manager, params={"as_of": "2030-01-01T00:00:00Z"}).status_code == 404
    listed = {i["lead_id"] for i in admin.get("/leads", headers=manager, params={"after": head}).json()["items"]}
    assert ours in listed and theirs not in listed
    exported = {
        line.split('"lead_id":"')[1][:36] for line in admin.get("/audit/export", headers=manager).text.splitlines()
    }
    assert ours in exported and theirs not in exported
    sources = admin.get("/reports/sources", headers=manager).json()
    assert sum(row["leads"] for row in sources) == len(listed)


@pytest.mark.parametrize(
    ("role", "sees"),
    [(Role.REP, {"owned", "followed", "created"}), (Role.INTEGRATION, {"created"}), (Role.AUDITOR, None)],
)
def test_each_role_lists_exactly_the_leads_its_scope_covers(
    engine: Engine, admin: TestClient, role: Role, sees: set[str] | None
) -> None:
    caller = bearer(engine, "caller", role)
    world = World(admin, engine, "caller", role, caller)
    leads = {
        "owned": world.lead("caller"),
        "followed": world.lead("someone"),
        "created": world.lead(None, by=caller) if role is not Role.AUDITOR else world.lead(None),
        "other": world.lead("someone"),
    }
    admin.post(f"/leads/{leads['followed']}/followers", json={"user": "caller"})
    listed = {
        i["lead_id"] for i in admin.get("/leads", headers=caller, params={"after": world.events()}).json()["items"]
    }
    expected = set(leads) if sees is None else sees
    assert {name for name, lead in leads.items() if lead in listed} == expected
