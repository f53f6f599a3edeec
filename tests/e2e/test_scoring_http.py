"""Scoring over HTTP as an admin sets it up (issue #18): a bad model refused at save naming the
problems, a draft published as version 1 and then 2, each publication re-scoring the open leads
in the background with progress, exactly one ``scored`` event per lead whose score or grade
changed and none for the others; signals by the API scored with cause ``signal``; and the
signal entrance under hostile input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.auth import Role
from infra.runtime import Engine
from tests.conftest import wait_for
from tests.e2e.auth import bearer

MODEL: dict[str, Any] = {
    "criteria": [
        {
            "id": "dach",
            "category": "demographic",
            "points": 20,
            "conditions": [{"field": "country", "op": "in", "value": ["DE", "AT", "CH"]}],
        },
        {
            "id": "software",
            "category": "firmographic",
            "points": 10,
            "conditions": [{"field": "industry", "value": "software"}],
        },
    ],
    "signals": [{"id": "download", "signal": "content_downloaded", "points": 15, "max_points_per_day": 30}],
    "decay": {"kind": "half_life", "days": 30},
    "mql_threshold": 40,
}


@pytest.fixture
def admin(engine: Engine) -> Iterator[TestClient]:
    engine.start_background()
    with TestClient(engine.app(), headers=bearer(engine)) as api:
        yield api


def scored(api: TestClient, lead_id: str) -> list[dict[str, Any]]:
    return [e["payload"] for e in api.get(f"/leads/{lead_id}/history").json() if e["type"] == "lead.scored.v2"]


def rescored(api: TestClient, version: int) -> dict[str, Any]:
    def finished() -> dict[str, Any] | None:
        model = api.get("/scoring/model").json()
        progress = model["rescoring"]
        return progress if progress and progress["version"] == version and progress["finished"] else None

    return wait_for(finished, timeout=60, what=f"the re-scoring of version {version}")


def test_publishing_rescores_open_leads_once_each_that_moved_and_signals_score(admin: TestClient) -> None:
    bad = admin.put("/scoring/model/draft", json={**MODEL, "decay": {"kind": "window"}})
    assert bad.status_code == 422 and bad.json()["type"].endswith("model-refused")
    assert [(p["field"], p["reason"]) for p in bad.json()["problems"]] == [("decay.days", "window decay needs days")]
    assert admin.get("/scoring/model/draft").json() == {"draft": None, "published_version": 0}

    people = [("Heidi", "DE", "software"), ("Olaf", "SE", "software"), ("Ann", "FR", "retail")]
    ids = {}
    for name, country, industry in people:
        body = {
            "contact_name": name,
            "email": f"{name}@example.com",
            "address": {"country": country},
            "industry": industry,
        }
        ids[name] = admin.post("/leads", json=body).json()["lead_id"]
    assert all(scored(admin, i) == [] for i in ids.values()), "no model yet: nothing scored"

    assert admin.put("/scoring/model/draft", json=MODEL).status_code == 200
    published = admin.post("/scoring/model/publish")
    assert published.status_code == 200 and published.json()["version"] == 1
    progress = rescored(admin, 1)
    assert (progress["total"], progress["done"], progress["changed"]) == (3, 3, 3), "every grade moved from none"
    first = {name: scored(admin, i) for name, i in ids.items()}
    assert {n: [(s["breakdown"], s["grade"], s["cause"]) for s in e] for n, e in first.items()} == {
        "Heidi": [({"demographic": 20, "behavioral": 0, "firmographic": 10}, "C", "model")],
        "Olaf": [({"demographic": 0, "behavioral": 0, "firmographic": 10}, "F", "model")],
        "Ann": [({"demographic": 0, "behavioral": 0, "firmographic": 0}, "F", "model")],
    }
    assert {c["criterion"]: c["points"] for c in first["Heidi"][0]["contributions"]} == {"dach": 20, "software": 10}

    dach_only = {**MODEL, "criteria": [{**MODEL["criteria"][0], "points": 25}, MODEL["criteria"][1]]}
    assert admin.put("/scoring/model/draft", json=dach_only).status_code == 200
    assert admin.post("/scoring/model/publish").json()["version"] == 2
    assert rescored(admin, 2)["changed"] == 1
    after = {name: scored(admin, i) for name, i in ids.items()}
    assert [len(after[n]) - len(first[n]) for n in ("Heidi", "Olaf", "Ann")] == [1, 0, 0]
    assert (after["Heidi"][-1]["model_version"], after["Heidi"][-1]["breakdown"]["demographic"]) == (2, 25)
    assert [v["version"] for v in admin.get("/scoring/model/versions").json()] == [1, 2]

    signal = admin.post(f"/leads/{ids['Olaf']}/signals", json={"kind": "Content Downloaded", "detail": "guide.pdf"})
    assert signal.status_code == 200, signal.text
    last = scored(admin, ids["Olaf"])[-1]
    assert (last["cause"], last["breakdown"]["behavioral"], last["model_version"]) == ("signal", 15, 2)


def test_only_admins_change_the_model_and_reps_signal_their_own_leads(engine: Engine, admin: TestClient) -> None:
    rep = bearer(engine, "rep-7", Role.REP)
    assert admin.put("/scoring/model/draft", json=MODEL, headers=rep).status_code == 403
    assert admin.post("/scoring/model/publish", headers=rep).status_code == 403
    own = admin.post("/leads", json={"contact_name": "Mine", "email": "mine@example.com"}, headers=rep).json()
    assert admin.post(f"/leads/{own['lead_id']}/signals", json={"kind": "email_opened"}, headers=rep).status_code == 200
    other = admin.post("/leads", json={"contact_name": "Theirs", "email": "theirs@example.com"}).json()
    assert (
        admin.post(f"/leads/{other['lead_id']}/signals", json={"kind": "email_opened"}, headers=rep).status_code == 404
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "teleported"}, "kind"),
        ({"kind": "email_opened", "detail": "x" * 100_000}, "detail"),
        ({"kind": "email_opened", "detail": "nul\x00"}, "detail"),
        ({"kind": "email_opened", "detail": "\ud800"}, "detail"),
        ({"kind": "email_opened", "occurred_at": "yesterday"}, "occurred_at"),
        ({"kind": "email_opened", "extra": 1}, "extra"),
    ],
)
def test_a_bad_signal_is_refused_naming_the_field(admin: TestClient, body: dict[str, Any], field: str) -> None:
    lead = admin.post("/leads", json={"contact_name": "Sig", "email": "sig@example.com"}).json()["lead_id"]
    answer = admin.post(
        f"/leads/{lead}/signals", content=json.dumps(body), headers={"content-type": "application/json"}
    )
    assert answer.status_code == 422, answer.text
    assert any(field in e["field"] for e in answer.json().get("errors") or []), answer.text


def test_a_non_bmp_signal_detail_is_kept_and_a_signal_for_no_lead_is_404(admin: TestClient) -> None:
    lead = admin.post("/leads", json={"contact_name": "Emoji", "email": "emoji@example.com"}).json()["lead_id"]
    assert admin.post(f"/leads/{lead}/signals", json={"kind": "page_visited", "detail": "🦄"}).status_code == 200
    missing = admin.post("/leads/00000000-0000-4000-8000-000000000000/signals", json={"kind": "page_visited"})
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"caps": {"demographic": 41}}, "caps.demographic"),
        ({"mql_threshold": 0}, "mql_threshold"),
        ({"mql_threshold": "50"}, "mql_threshold"),
        ({"criteria": [{**MODEL["criteria"][0], "points": 10**20}]}, "criteria.0.points"),
        ({"criteria": [{**MODEL["criteria"][0], "id": "a/b"}]}, "criteria.0.id"),
        ({"signals": [{"id": "x", "signal": "email_opened", "points": 1}] * 100_000}, "signals"),
    ],
)
def test_a_malformed_model_is_refused_naming_the_field(admin: TestClient, change: dict[str, Any], field: str) -> None:
    answer = admin.put("/scoring/model/draft", json={**MODEL, **change})
    assert answer.status_code in (413, 422), answer.text
    if answer.status_code == 422:
        assert any(e["field"].startswith(field) for e in answer.json().get("errors") or []), answer.text


def test_grade_stage_and_temperature_filter_and_sort_the_list_and_the_document_explains(admin: TestClient) -> None:
    assert (
        admin.put("/scoring/model/draft", json={**MODEL, "bands": {"cold_max": 10, "warm_max": 25}}).status_code == 200
    )
    admin.post("/scoring/model/publish")
    fit = admin.post(
        "/leads",
        json={"contact_name": "Fit", "email": "fit@example.com", "address": {"country": "AT"}, "industry": "Software"},
    ).json()
    cold = admin.post("/leads", json={"contact_name": "Cold", "email": "cold@example.com"}).json()
    admin.post(f"/leads/{cold['lead_id']}/signals", json={"kind": "content_downloaded"})

    def listed(**params: Any) -> list[str]:
        return [i["contact_name"] for i in admin.get("/leads", params=params).json()["items"]]

    wait_for(lambda: listed(grade="c") == ["Fit"], what="the graded lead in the list")
    wait_for(lambda: listed(temperature="warm") == ["Cold"], what="15 points from the signal: warm under bands 10/25")
    assert listed(temperature="hot") == ["Fit"], "30 points is hot under bands 10/25"
    assert (listed(stage="mql"), sorted(listed(stage="lead"))) == ([], ["Cold", "Fit"]), "both below 40"
    assert listed(sort="grade", order="asc") == ["Fit", "Cold"], "C before F"
    doc = admin.get(f"/leads/{fit['lead_id']}").json()
    assert (doc["score"]["grade"], doc["score"]["model_version"], doc["score"]["cause"]) == ("C", 1, "details")
    assert {c["criterion"]: c["points"] for c in doc["score"]["contributions"]} == {"dach": 20, "software": 10}
    stages = {row["stage"]: row for row in admin.get("/reports/stages").json()}
    assert list(stages) == ["subscriber", "lead", "mql", "sql", "opportunity"]
    assert (stages["lead"]["leads"], stages["lead"]["grade_c"], stages["lead"]["grade_f"]) == (2, 1, 1)
