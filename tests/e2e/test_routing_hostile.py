"""The directory and rules entrances under hostile input: every bad request is a 4xx naming the
field and the reason, nothing already accepted is lost, and racing admins get one effect each."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from infra.runtime import Engine
from tests.e2e.auth import bearer


@pytest.fixture
def admin(engine: Engine) -> Iterator[TestClient]:
    with TestClient(engine.app(), headers=bearer(engine)) as api:
        yield api


def fields(answer: Any) -> set[str]:
    body = answer.json()
    return {e["field"] for e in body.get("errors") or []} | ({body["field"]} if body.get("field") else set())


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "nul\x00user", "roles": ["rep"]}, "name"),
        ({"name": "a/b", "roles": ["rep"]}, "name"),
        ({"name": "x" * 10_000, "roles": ["rep"]}, "name"),
        ({"name": "ok", "roles": []}, "roles"),
        ({"name": "ok", "roles": ["rep", "rep"]}, "roles"),
        ({"name": "ok", "roles": ["wizard"]}, "roles.0"),
        ({"name": "ok", "roles": ["rep"], "capacity": -1}, "capacity"),
        ({"name": "ok", "roles": ["rep"], "capacity": 10**30}, "capacity"),
        ({"name": "ok", "roles": ["rep"], "territories": ["de"] * 10_000}, "territories"),
        ({"name": "ok", "roles": ["rep"], "display_name": "\ud800"}, "display_name"),
    ],
)
def test_a_bad_user_is_refused_naming_the_field(admin: TestClient, body: dict[str, Any], field: str) -> None:
    raw = json.dumps(body)  # ASCII, so a lone surrogate travels as the escape \ud800
    answer = admin.post("/users", content=raw, headers={"content-type": "application/json"})
    assert answer.status_code == 422 and field in fields(answer), answer.text
    assert [u["name"] for u in admin.get("/users").json()] == ["admin-1"], "nothing was added"


def test_a_non_bmp_display_name_is_kept_as_written(admin: TestClient) -> None:
    assert admin.post("/users", json={"name": "emoji", "roles": ["rep"], "display_name": "Zoë 🦄"}).status_code == 201
    assert admin.get("/users/emoji").json()["profile"]["display_name"] == "Zoë 🦄"


@pytest.mark.parametrize(
    ("condition", "field"),
    [
        ({"field": "country", "value": "x" * 10_000}, "rules.0.conditions.0.value"),
        ({"field": "country", "value": "\x00"}, "rules.0.conditions.0.value"),
        ({"field": "score", "op": "range", "value": {"min": float("inf")}}, "rules.0.conditions.0.value"),
        ({"field": "score", "value": 10**30}, "rules.0.conditions.0"),
        ({"field": "score", "op": "range", "value": {"min": 1, "mid": 2}}, "rules.0.conditions.0.value"),
        ({"field": "country", "op": "in", "value": ["DE"] * 100_000}, "rules.0.conditions.0.value"),
        ({"field": "country", "op": "near", "value": "DE"}, "rules.0.conditions.0.op"),
    ],
)
def test_a_malformed_rule_is_refused_naming_where(admin: TestClient, condition: dict[str, Any], field: str) -> None:
    admin.put("/teams/triage", json={"members": []})
    rule = {"id": "r1", "name": "R1", "conditions": [condition], "action": {"kind": "queue", "target": "triage"}}
    raw = json.dumps({"rules": [rule]})  # as a lax client writes it: infinity as Infinity
    answer = admin.put("/routing/rules", content=raw, headers={"content-type": "application/json"})
    assert answer.status_code in (413, 422), answer.text
    if answer.status_code == 422:
        assert any(f.startswith(field) for f in fields(answer)), answer.text
    assert admin.get("/routing/rules").json() == {"revision": 0, "rules": []}


def test_more_rules_than_the_limit_are_refused_naming_the_limit(admin: TestClient) -> None:
    admin.put("/teams/triage", json={"members": []})
    rule = {
        "name": "R",
        "action": {"kind": "queue", "target": "triage"},
        "conditions": [{"field": "tags", "value": "x"}],
    }
    answer = admin.put("/routing/rules", json={"rules": [rule | {"id": f"r{i}"} for i in range(501)]})
    assert answer.status_code == 422 and "rules" in fields(answer) and "500" in answer.text


def test_ten_admins_adding_one_user_at_once_add_it_once(engine: Engine, admin: TestClient) -> None:
    def add(_: int) -> int:
        return admin.post("/users", json={"name": "twin", "roles": ["rep"]}).status_code

    with ThreadPoolExecutor(10) as pool:
        answers = Counter(pool.map(add, range(10)))
    assert answers == {201: 1, 422: 9}
    added = [e for e in engine.service.directory_history() if getattr(e, "name", None) == "twin"]
    assert len(added) == 1


def test_racing_rule_publications_each_get_their_own_revision(admin: TestClient) -> None:
    admin.put("/teams/triage", json={"members": []})

    def publish(i: int) -> int:
        rule = {"id": f"r{i}", "name": f"R{i}", "action": {"kind": "queue", "target": "triage"}}
        return int(admin.put("/routing/rules", json={"rules": [rule]}).json()["revision"])

    with ThreadPoolExecutor(5) as pool:
        revisions = sorted(pool.map(publish, range(5)))
    assert revisions == [1, 2, 3, 4, 5]
    history = admin.get("/routing/rules/history").json()
    assert [h["revision"] for h in history] == [1, 2, 3, 4, 5]
