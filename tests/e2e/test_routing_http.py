"""Leads reach the right person, over HTTP as an admin sets it up and as leads arrive from every
channel (the acceptance of issue #17): territory, industry, round-robin and fallback rules;
captures through the API, a web form and an intake message; each lead's owner and the rule its
``assigned`` event names; the new owner's notification; a queue claimed once; a user's
deactivation routing their leads again; speed to lead escalated once and reported."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from kafka import KafkaProducer

from api.auth import Role
from infra.runtime import Engine
from tests.conftest import wait_for
from tests.e2e.auth import bearer

RULES = [
    {
        "id": "dach",
        "name": "DACH territory",
        "conditions": [{"field": "country", "op": "in", "value": ["DE", "AT", "CH"]}],
        "action": {"kind": "user", "target": "greta"},
        "respond_within_minutes": 30,
    },
    {
        "id": "software",
        "name": "Software industry",
        "conditions": [{"field": "industry", "value": "Software"}],
        "action": {"kind": "user", "target": "sam"},
    },
    {
        "id": "web-forms",
        "name": "Web forms round robin",
        "conditions": [{"field": "source", "value": "Web Form"}],
        "action": {"kind": "round_robin", "target": "inbound"},
    },
]


def set_up_directory(api: TestClient) -> None:
    for name, roles in [
        ("greta", ["rep"]),
        ("sam", ["rep"]),
        ("rr-1", ["rep"]),
        ("rr-2", ["rep"]),
        ("rr-3", ["rep"]),
        ("tom", ["rep"]),
        ("mia", ["manager"]),
    ]:
        assert api.post("/users", json={"name": name, "roles": roles}).status_code == 201
    team = {"members": ["rr-1", "rr-2", "rr-3"], "managers": ["mia"]}
    assert api.put("/teams/inbound", json=team).status_code == 200
    assert api.put("/teams/triage", json={"members": ["tom"], "managers": ["mia"]}).status_code == 200


def token(engine: Engine, user: str, role: Role = Role.REP) -> dict[str, str]:
    return bearer(engine, user, role)


def assigned(api: TestClient, lead_id: str) -> dict[str, Any]:
    history = api.get(f"/leads/{lead_id}/history").json()
    return next(e["payload"] for e in reversed(history) if e["type"] in ("lead.assigned.v2", "lead.queued.v1"))


@pytest.fixture
def admin(kafka_engine: Engine) -> Iterator[TestClient]:
    kafka_engine.start_background()
    with TestClient(kafka_engine.app(), headers=bearer(kafka_engine)) as api:
        yield api


def test_rules_route_leads_from_the_api_a_form_and_intake_and_say_why(kafka_engine: Engine, admin: TestClient) -> None:
    set_up_directory(admin)
    bad = admin.put(
        "/routing/rules",
        json={"rules": [*RULES, {**RULES[0], "id": "late", "action": {"kind": "user", "target": "zoe"}}]},
    )
    assert bad.status_code == 422
    assert {(p["rule"], p["reason"]) for p in bad.json()["problems"]} == {("late", "no user named zoe")}
    published = admin.put("/routing/rules", json={"rules": RULES})
    assert published.status_code == 200 and published.json()["revision"] == 1

    german = admin.post(
        "/leads", json={"contact_name": "Heidi", "email": "heidi@example.de", "address": {"country": "DE"}}
    )
    nobody = admin.post("/leads", json={"contact_name": "Olaf", "email": "olaf@example.com"})
    forms = [
        admin.post("/forms/contact", data={"name": f"Form {i}", "email": f"form{i}@example.com"}) for i in range(3)
    ]
    producer = KafkaProducer(bootstrap_servers=kafka_engine.settings.kafka_bootstrap_servers)
    headers = [
        ("ce_specversion", b"1.0"),
        ("ce_id", str(uuid.uuid4()).encode()),
        ("ce_source", b"urn:partner:acme"),
        ("ce_type", b"lead.intake.capture.v1"),
    ]
    body = {"contact_name": "Ivy", "email": "ivy@example.com", "industry": "software"}
    producer.send(kafka_engine.settings.intake_topic, value=json.dumps(body).encode(), headers=headers)
    producer.flush()
    producer.close()

    def intake_lead() -> str | None:
        found = admin.get("/leads", params={"q": "ivy@example.com"}).json()["items"]
        return str(found[0]["lead_id"]) if found else None

    ivy = wait_for(intake_lead, timeout=60, what="the intake message's lead")
    why = {
        "api DE": assigned(admin, german.json()["lead_id"]),
        "intake software": assigned(admin, ivy),
        "api unmatched": assigned(admin, nobody.json()["lead_id"]),
    }
    assert (why["api DE"]["owner"], why["api DE"]["rule_id"], why["api DE"]["strategy"]) == ("greta", "dach", "user")
    assert why["api DE"]["respond_by"] is not None and why["api DE"]["rule_revision"] == 1
    assert (why["intake software"]["owner"], why["intake software"]["rule_id"]) == ("sam", "software")
    assert (why["api unmatched"]["queue"], why["api unmatched"]["strategy"]) == ("triage", "fallback")
    form_owners = [assigned(admin, f.json()["lead_id"]) for f in forms]
    assert [(a["owner"], a["rule_id"], a["strategy"]) for a in form_owners] == [
        ("rr-1", "web-forms", "round_robin"),
        ("rr-2", "web-forms", "round_robin"),
        ("rr-3", "web-forms", "round_robin"),
    ]

    greta = token(kafka_engine, "greta")
    inbox = wait_for(
        lambda: [n for n in admin.get("/notifications", headers=greta).json() if n["kind"] == "assigned"],
        what="greta's notification",
    )
    assert inbox[0]["lead_id"] == german.json()["lead_id"] and "rule dach" in inbox[0]["summary"]
    home = admin.get("/feed", headers=greta).json()
    assert german.json()["lead_id"] in {item["lead_id"] for item in home}

    tom = token(kafka_engine, "tom")
    lead = nobody.json()["lead_id"]
    queue = wait_for(lambda: admin.get("/queues/triage/leads", headers=tom).json(), what="the triage queue")
    assert [q["lead_id"] for q in queue] == [lead]
    assert admin.get("/queues/inbound/leads", headers=tom).status_code == 404, "not tom's queue"
    assert admin.post(f"/leads/{lead}/claim", headers=tom).status_code == 200
    again = admin.post(f"/leads/{lead}/claim", headers=token(kafka_engine, "mia", Role.MANAGER))
    assert again.status_code == 409 and again.json()["type"].endswith("already-claimed")
    assert assigned(admin, lead)["strategy"] == "claim"


def test_deactivating_a_user_with_20_open_leads_routes_all_20_again_and_history_says_why(engine: Engine) -> None:
    with TestClient(engine.app(), headers=bearer(engine)) as admin:
        for name in ("leaver", "stay-1", "stay-2"):
            assert admin.post("/users", json={"name": name, "roles": ["rep"]}).status_code == 201
        admin.put("/teams/pod", json={"members": ["leaver", "stay-1", "stay-2"]})
        rule = {"id": "pod", "name": "Pod", "action": {"kind": "round_robin", "target": "pod"}}
        assert admin.put("/routing/rules", json={"rules": [rule]}).status_code == 200
        leads = [
            admin.post("/leads", json={"contact_name": f"L {i}", "email": f"l{i}@example.com"}).json()["lead_id"]
            for i in range(60)
        ]
        owned = [lead for lead in leads if assigned(admin, lead)["owner"] == "leaver"]
        assert len(owned) == 20
        leaver = token(engine, "leaver")
        answer = admin.put("/users/leaver/status", json={"status": "inactive"})
        assert answer.status_code == 200
        assert sorted(answer.json()["routed"]) == sorted(owned) and answer.json()["refused"] == []
        moved = [assigned(admin, lead) for lead in owned]
        assert Counter(m["owner"] for m in moved) == {"stay-1": 10, "stay-2": 10}
        assert all(m["previous_owner"] == "leaver" and m["reason"].startswith("leaver is inactive") for m in moved)
        refused = admin.get("/leads", headers=leaver)
        assert refused.status_code == 401 and "leaver is inactive" in refused.json()["detail"]
        assert admin.put("/users/leaver/status", json={"status": "inactive"}).json()["routed"] == [], "nothing left"


def test_a_lead_not_contacted_in_time_is_escalated_once_to_its_owner_and_manager_and_reported(engine: Engine) -> None:
    engine.start_background()
    with TestClient(engine.app(), headers=bearer(engine)) as admin:
        admin.post("/users", json={"name": "fast", "roles": ["rep"]})
        admin.post("/users", json={"name": "boss", "roles": ["manager"]})
        admin.put("/teams/desk", json={"members": ["fast"], "managers": ["boss"]})
        rule = {
            "id": "desk",
            "name": "Desk",
            "action": {"kind": "round_robin", "target": "desk"},
            "respond_within_minutes": 5,
        }
        admin.put("/routing/rules", json={"rules": [rule]})
        slow = admin.post("/leads", json={"contact_name": "Slow", "email": "slow@example.com"}).json()
        quick = admin.post("/leads", json={"contact_name": "Quick", "email": "quick@example.com"}).json()
        admin.post(f"/leads/{quick['lead_id']}/contact", json={"via": "call"})
        head = engine.event_log.head()
        wait_for(lambda: admin.get("/leads", params={"after": head}).headers["X-Read-Consistent"] == "true")
        later = datetime.now(UTC) + timedelta(minutes=10)
        wait_for(lambda: engine.response_monitor().sweep(now=later) == 1, what="the routing view to see the leads")
        assert engine.response_monitor().sweep(now=later) == 0, "a restarted monitor escalates nothing twice"
        escalations = [e for e in admin.get(f"/leads/{slow['lead_id']}/history").json() if "overdue" in e["type"]]
        assert len(escalations) == 1 and escalations[0]["payload"]["managers"] == ["boss"]
        for who, role in (("fast", Role.REP), ("boss", Role.MANAGER)):
            inbox = wait_for(
                lambda who=who, role=role: [
                    n
                    for n in admin.get("/notifications", headers=token(engine, who, role)).json()
                    if n["kind"] == "response_overdue"
                ],
                what=f"{who}'s escalation",
            )
            assert inbox[0]["lead_id"] == slow["lead_id"]
        by_rep = wait_for(
            lambda: [r for r in admin.get("/reports/response-times", params={"by": "rep"}).json() if r["escalated"]],
            what="the report to count the escalation",
        )
        assert by_rep == [{**by_rep[0], "rep": "fast", "leads": 2, "contacted": 1, "within_target": 1, "escalated": 1}]
