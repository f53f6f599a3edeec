"""Every endpoint through HTTP: the lifecycle, preconditions, errors, replay, forms, files."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from api.auth import Role
from infra.runtime import Engine
from infra.settings import Settings
from tests.e2e.auth import bearer

ADA = {"contact_name": "Ada Lovelace", "email": "ada@example.com", "company": "Engines Ltd"}


@pytest.fixture
def api(engine: Engine) -> Iterator[TestClient]:
    with TestClient(engine.app(), headers=bearer(engine)) as client:
        yield client


def unique(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` as another person: an email of its own."""
    return body | {"email": f"{uuid.uuid4().hex[:12]}@example.com"}


def create(api: TestClient, body: dict[str, Any] | None = None, **headers: str) -> str:
    """Capture a lead (a person of their own: a look-alike would be recorded as a possible duplicate)."""
    response = api.post("/leads", json=body or unique(ADA), headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["lead_id"])


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_lead_goes_from_capture_to_conversion_through_http(api: TestClient) -> None:
    lead = create(api)
    assert ok(api.patch(f"/leads/{lead}", json={"changes": {"job_title": "CTO"}}))["version"] == 2
    assert ok(api.post(f"/leads/{lead}/assign", json={"owner": "rep-1"}))["version"] == 3
    ok(api.post(f"/leads/{lead}/contact", json={"via": "call"}))
    ok(api.post(f"/leads/{lead}/activities", json={"kind": "meeting", "subject": "Demo", "outcome": "keen"}))
    ok(api.post(f"/leads/{lead}/notes", json={"text": "Budget approved"}))
    ok(api.post(f"/leads/{lead}/followers", json={"user": "manager-1"}))
    ok(api.delete(f"/leads/{lead}/followers/manager-1"))
    ok(
        api.put(
            f"/leads/{lead}/bant",
            json={"changes": {"budget": "50k", "authority": "CTO", "need": "CRM", "timeline": "Q3"}},
        )
    )
    ok(api.post(f"/leads/{lead}/score-adjustments", json={"points": 15, "reason": "referral"}))
    ok(api.post(f"/leads/{lead}/qualify"))
    converted = ok(
        api.post(
            f"/leads/{lead}/convert",
            json={
                "opportunity_name": "50 seats",
                "deal_value": "50000",
                "expected_close": "2027-03-31",
                "probability": 40,
            },
        )
    )
    assert set(converted["created"]) == {"opportunity_id", "account_id", "contact_id"}
    state = ok(api.get(f"/leads/{lead}", params={"version": converted["version"]}))
    assert state["status"] == "converted" and state["owner"] == "rep-1" and state["score"] == 15
    assert state["details"]["job_title"] == "CTO" and len(state["activities"]) == len(state["notes"]) == 1
    types = [e["type"] for e in ok_list(api.get(f"/leads/{lead}/history"))]
    assert types[0] == "lead.captured.v1" and types[-1] == "lead.converted.v2" and len(types) == converted["version"]


def ok_list(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    return body


def test_history_names_who_did_what_and_through_which_command(api: TestClient, engine: Engine) -> None:
    lead = create(api, **{"Idempotency-Key": "k-1", "X-Request-ID": "req-9"})
    api.post(f"/leads/{lead}/assign", json={"owner": "rep-1"}, headers=bearer(engine, "mgr", Role.MANAGER))
    first, second = ok_list(api.get(f"/leads/{lead}/history"))
    assert (first["actor"], first["channel"], first["command_id"], first["correlation_id"]) == (
        "admin-1",
        "api",
        "admin-1/k-1",
        "req-9",
    )
    assert second["actor"] == "mgr" and second["payload"]["owner"] == "rep-1"


def test_a_stale_if_match_is_a_412_and_changes_nothing(api: TestClient) -> None:
    lead = create(api)
    ok(api.post(f"/leads/{lead}/assign", json={"owner": "rep-1"}, headers={"If-Match": '"1"'}))
    stale = api.post(f"/leads/{lead}/assign", json={"owner": "rep-2"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412 and stale.json()["type"].endswith("precondition-failed")
    assert api.post(f"/leads/{lead}/assign", json={"owner": "rep-2"}, headers={"If-Match": "soon"}).status_code == 422


def test_an_illegal_transition_is_a_409_naming_the_current_status(api: TestClient) -> None:
    lead = create(api)
    refused = api.post(f"/leads/{lead}/qualify")
    assert refused.status_code == 409
    assert refused.json()["current_status"] == "new" and "cannot qualify" in refused.json()["detail"]


def test_qualifying_without_complete_bant_is_a_409_listing_what_is_missing(api: TestClient) -> None:
    lead = create(api)
    ok(api.post(f"/leads/{lead}/contact", json={"via": "call"}))
    ok(api.put(f"/leads/{lead}/bant", json={"changes": {"budget": "50k", "need": "CRM"}}))
    refused = api.post(f"/leads/{lead}/qualify")
    assert refused.status_code == 409 and refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["type"].endswith("qualification-requirements-unmet")
    assert problem["missing"] == ["authority", "timeline"] and "authority, timeline" in problem["detail"]
    assert ok(api.get(f"/leads/{lead}", params={"version": 3}))["status"] == "contacted"
    assert len(ok_list(api.get(f"/leads/{lead}/history"))) == 3, "the refusal recorded nothing"
    ok(api.put(f"/leads/{lead}/bant", json={"changes": {"authority": "CTO", "timeline": "Q3"}}))
    ok(api.post(f"/leads/{lead}/qualify"))


def test_conversion_without_bant_is_a_409_listing_what_is_missing(api: TestClient) -> None:
    lead = create(api)
    ok(api.post(f"/leads/{lead}/contact", json={"via": "call"}))
    bant = {"budget": "50k", "authority": "CTO", "need": "CRM", "timeline": "Q3"}
    ok(api.put(f"/leads/{lead}/bant", json={"changes": bant}))
    ok(api.post(f"/leads/{lead}/qualify"))
    ok(api.put(f"/leads/{lead}/bant", json={"changes": {"budget": None}}))
    refused = api.post(
        f"/leads/{lead}/convert",
        json={"opportunity_name": "x", "deal_value": "1", "expected_close": "2027-01-01", "probability": 5},
    )
    assert refused.status_code == 409 and "budget" in refused.json()["detail"]
    assert refused.json()["missing"] == ["budget"]


def test_merge_through_http_archives_the_duplicate(api: TestClient) -> None:
    master, dup = create(api), create(api, {"contact_name": "A. Lovelace", "phone": "+442079460958"})
    ok(api.post(f"/leads/{master}/merge", json={"duplicate_ids": [dup], "take_fields": {dup: ["phone"]}}))
    state = ok(api.get(f"/leads/{dup}", params={"version": 2}))
    assert state["status"] == "merged" and state["merged_into"] == master


def test_requests_without_a_valid_token_are_401(engine: Engine) -> None:
    with TestClient(engine.app()) as anonymous:
        assert anonymous.get("/leads").status_code == 401
        assert anonymous.get("/leads", headers={"Authorization": "Bearer nope"}).status_code == 401
        expired = Settings(postgres_dsn=engine.settings.postgres_dsn, home=engine.settings.home)
        from api.auth import issue_token

        old = issue_token(key=expired.signing_key(), user="u", role=Role.ADMIN, hours=-1)
        assert anonymous.get("/leads", headers={"Authorization": f"Bearer {old}"}).status_code == 401


def test_reps_act_only_on_their_own_and_followed_leads(api: TestClient, engine: Engine) -> None:
    mine, theirs, followed = create(api), create(api), create(api)
    api.post(f"/leads/{mine}/assign", json={"owner": "rep-1"})
    api.post(f"/leads/{theirs}/assign", json={"owner": "rep-2"})
    api.post(f"/leads/{followed}/assign", json={"owner": "rep-2"})
    api.post(f"/leads/{followed}/followers", json={"user": "rep-1"})
    rep = bearer(engine, "rep-1", Role.REP)
    assert api.post(f"/leads/{mine}/contact", json={"via": "call"}, headers=rep).status_code == 200
    assert api.post(f"/leads/{followed}/contact", json={"via": "call"}, headers=rep).status_code == 200
    assert api.post(f"/leads/{theirs}/contact", json={"via": "call"}, headers=rep).status_code == 404
    assert api.get(f"/leads/{theirs}", headers=rep).status_code == 404


def test_managers_act_on_their_teams_leads_only(api: TestClient, engine: Engine) -> None:
    team_lead, other_lead = create(api), create(api)
    api.post(f"/leads/{team_lead}/assign", json={"owner": "rep-1"})
    api.post(f"/leads/{other_lead}/assign", json={"owner": "rep-9"})
    manager = bearer(engine, "mgr-1", Role.MANAGER, team=["rep-1", "rep-2"])
    assert api.post(f"/leads/{team_lead}/assign", json={"owner": "rep-2"}, headers=manager).status_code == 200
    assert api.post(f"/leads/{other_lead}/assign", json={"owner": "rep-2"}, headers=manager).status_code == 404


def test_a_lead_changed_50_times_replays_as_of_five_instants(api: TestClient) -> None:
    lead = create(api)
    recorded: list[dict[str, Any]] = []
    expected: dict[str, Any] = {"owner": None, "followers": set(), "notes": 0, "score": 0}
    for i in range(1, 51):
        match i % 4:
            case 0:
                ok(api.post(f"/leads/{lead}/assign", json={"owner": f"rep-{i}"}))
                expected["owner"] = f"rep-{i}"
                expected["followers"] = expected["followers"] | {f"rep-{i}"}
            case 1:
                ok(api.post(f"/leads/{lead}/notes", json={"text": f"note {i}"}))
                expected["notes"] += 1
            case 2:
                ok(api.post(f"/leads/{lead}/followers", json={"user": f"watcher-{i}"}))
                expected["followers"] = expected["followers"] | {f"watcher-{i}"}
            case 3:
                ok(api.post(f"/leads/{lead}/score-adjustments", json={"points": 2, "reason": f"r{i}"}))
                expected["score"] += 2
        if i % 10 == 0:
            recorded.append({**expected, "followers": sorted(expected["followers"]), "version": i + 1})
    times = {e["version"]: e["time"] for e in ok_list(api.get(f"/leads/{lead}/history"))}
    for state in recorded:
        instant = times[state["version"]]  # the moment that change was recorded
        seen = ok(api.get(f"/leads/{lead}", params={"as_of": instant}))
        assert {
            "owner": seen["owner"],
            "followers": seen["followers"],
            "notes": len(seen["notes"]),
            "score": seen["score"],
            "version": seen["version"],
        } == state


def test_a_double_submitted_web_form_creates_one_lead(api: TestClient) -> None:
    form = {"name": "Grace Hopper", "email": "grace@example.com", "company": "Navy", "message": "Call me"}
    with TestClient(api.app) as public:
        first = public.post("/forms/contact-us", data=form)
        again = public.post("/forms/contact-us", data=form)
        assert first.status_code == again.status_code == 201
        assert first.json()["lead_id"] == again.json()["lead_id"]
        keyed = public.post("/forms/contact-us", data={**form, "submission_id": "s-1", "message": "x"})
        assert keyed.json()["lead_id"] != first.json()["lead_id"]
        invalid = public.post("/forms/contact-us", data={"name": "No Contact"})
        assert invalid.status_code == 422 and "email or a phone" in invalid.json()["detail"]
    state = ok(api.get(f"/leads/{first.json()['lead_id']}", params={"version": 1}))
    assert state["details"]["source"] == "web_form" and state["details"]["custom_fields"]["form_id"] == "contact-us"


def test_attachments_are_stored_once_by_content_and_limited_in_size(api: TestClient, engine: Engine) -> None:
    lead = create(api)
    content = b"%PDF-1.4 proposal"
    first = ok(api.post(f"/leads/{lead}/attachments", files={"file": ("proposal.pdf", content, "application/pdf")}))
    ok(api.post(f"/leads/{lead}/attachments", files={"file": ("copy.pdf", content, "application/pdf")}))
    state = ok(api.get(f"/leads/{lead}", params={"version": first["version"] + 1}))
    assert len({a["content_hash"] for a in state["attachments"]}) == 1 and len(state["attachments"]) == 2
    download = api.get(f"/leads/{lead}/attachments/{state['attachments'][0]['attachment_id']}")
    assert download.content == content and download.headers["content-type"] == "application/pdf"
    with engine.db.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {engine.settings.event_schema}.attachment_blobs")
        assert cur.fetchone() == (1,)
    big = b"x" * (engine.settings.limits.attachment_bytes + 1)
    refused = api.post(f"/leads/{lead}/attachments", files={"file": ("big.bin", big, "application/octet-stream")})
    assert refused.status_code == 413


def test_the_audit_export_streams_every_event_in_the_range(api: TestClient) -> None:
    a = create(api)
    api.post(f"/leads/{a}/contact", json={"via": "call"})
    middle = datetime.now(UTC)
    b = create(api)
    lines = [orjson.loads(line) for line in api.get("/audit/export").content.splitlines()]
    assert [(x["lead_id"], x["version"]) for x in lines] == [(a, 1), (a, 2), (b, 1)]
    later = [
        orjson.loads(line)
        for line in api.get("/audit/export", params={"since": middle.isoformat()}).content.splitlines()
    ]
    assert [(x["lead_id"], x["type"]) for x in later] == [(b, "lead.captured.v1")]


def test_mass_transfer_moves_every_open_lead_of_an_owner(api: TestClient, engine: Engine) -> None:
    engine.start_background()
    # three people of three companies: with projections running, look-alikes would be held as duplicates
    leads = [create(api, unique(ADA) | {"company": f"Firm {uuid.uuid4().hex}"}) for _ in range(3)]
    for lead in leads:
        api.post(f"/leads/{lead}/assign", json={"owner": "rep-leaving"})
    from tests.integration.helpers import wait_until_caught_up

    wait_until_caught_up(engine)
    moved = ok(api.post("/leads/transfer", json={"from_owner": "rep-leaving", "to_owner": "rep-new"}))
    assert sorted(moved["transferred"]) == sorted(leads)
    assert all(ok(api.get(f"/leads/{lead}", params={"version": 3}))["owner"] == "rep-new" for lead in leads)
