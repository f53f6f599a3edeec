"""Through HTTP, the projected views: lists with filters, search and keyset pages; saved and
system views; the duplicate check on create; feeds, inbox and reports; /metrics."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.auth import Role
from consumers.aging_monitor import AgingMonitor
from infra.read_side import projections
from infra.runtime import Engine
from tests.conftest import wait_for
from tests.e2e.auth import bearer


@pytest.fixture
def api(engine: Engine) -> Iterator[TestClient]:
    engine.start_background()
    with TestClient(engine.app(), headers=bearer(engine)) as client:
        yield client


def capture(api: TestClient, body: dict[str, Any], **params: str) -> dict[str, Any]:
    response = api.post("/leads", json=body, params=params)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


PROJECTIONS = [p.name for p in projections("any").values()]


def seen(api: TestClient, position: int) -> None:
    """Wait until every projection has applied the log up to ``position``."""

    def caught_up() -> bool:
        consumers = api.get("/health").json()["components"]["consumers"]
        return all(consumers.get(name, {}).get("positions", {}).get("0", 0) >= position for name in PROJECTIONS)

    wait_for(caught_up, what=f"the projections to reach {position}")


def test_a_lead_like_an_existing_one_is_refused_with_the_candidates_until_the_caller_chooses(api: TestClient) -> None:
    first = capture(api, {"contact_name": "Jon Smith", "email": "jon@acme.example", "company": "Acme Inc."})
    seen(api, first["position"])
    look_alike = {"contact_name": "John Smith", "phone": "+14155552671", "company": "ACME"}
    refused = api.post("/leads", json=look_alike)
    assert refused.status_code == 409 and refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["candidates"] == [
        {
            "id": first["lead_id"],
            "kind": "lead",
            "lead_id": first["lead_id"],
            "contact_name": "Jon Smith",
            "matched_on": ["name_and_company"],
        }
    ]
    same_email = api.post("/leads", json={"contact_name": "Someone Else", "email": "JON@acme.example"})
    assert [c["matched_on"] for c in same_email.json()["candidates"]] == [["email"]]
    created = capture(api, look_alike, on_duplicate="create")
    assert created["lead_id"] != first["lead_id"]
    assert api.post("/leads", json=look_alike, params={"on_duplicate": "associate"}).status_code == 422, (
        "nothing to associate with before the existing lead has an account"
    )


def test_associate_links_the_new_lead_to_the_account_and_contact_of_the_converted_one(api: TestClient) -> None:
    lead = capture(api, {"contact_name": "Grace Hopper", "email": "grace@navy.example"})["lead_id"]
    api.post(f"/leads/{lead}/contact", json={"via": "call"})
    api.put(f"/leads/{lead}/bant", json={"changes": {"budget": "1", "authority": "2", "need": "3", "timeline": "4"}})
    api.post(f"/leads/{lead}/qualify")
    converted = api.post(
        f"/leads/{lead}/convert",
        json={"opportunity_name": "Deal", "deal_value": "10", "expected_close": "2027-01-01", "probability": 50},
    )
    assert converted.status_code == 200, converted.text
    seen(api, converted.json()["position"])
    again = capture(api, {"contact_name": "Grace Hopper", "email": "grace@navy.example"}, on_duplicate="associate")
    seen(api, again["position"])
    details = api.get(f"/leads/{again['lead_id']}").json()["details"]
    assert (details["account_id"], details["contact_id"]) == (
        str(converted.json()["created"]["account_id"]),
        str(converted.json()["created"]["contact_id"]),
    )


def test_lists_filter_search_and_page_with_a_cursor_that_never_skips_or_repeats(api: TestClient) -> None:
    last = None
    for i in range(25):
        last = capture(
            api,
            {
                "contact_name": f"Person {i:02d}",
                "email": f"p{i}@example.com",
                "company": "Globex" if i % 5 == 0 else f"Firm {i}",
                "source": "referral" if i % 2 else "website",
                "address": {"country": "DE" if i < 10 else "FR"},
            },
            on_duplicate="create",
        )
    assert last is not None
    seen(api, last["position"])
    pages, cursor = [], None
    while True:
        page = api.get(
            "/leads",
            params={"limit": 7, "sort": "contact_name", "order": "asc"} | ({"cursor": cursor} if cursor else {}),
        ).json()
        pages.append([item["contact_name"] for item in page["items"]])
        cursor = page["next"]
        if cursor is None:
            break
    assert [len(p) for p in pages] == [7, 7, 7, 4]
    assert [name for page in pages for name in page] == [f"Person {i:02d}" for i in range(25)]
    globex = api.get("/leads", params={"q": "glob", "country": "DE"}).json()["items"]
    assert sorted(i["contact_name"] for i in globex) == ["Person 00", "Person 05"]
    assert len(api.get("/leads", params={"source": "referral", "limit": 500}).json()["items"]) == 12
    assert api.get("/leads", params={"cursor": "not-a-cursor"}).status_code == 422


def test_picklist_values_are_accepted_as_people_write_them_and_kept_canonical(api: TestClient) -> None:
    lead = capture(api, {"contact_name": "Ada", "email": "ada@example.com", "source": "Trade Show", "priority": "HIGH"})
    seen(api, lead["position"])
    found = api.get("/leads", params={"source": "trade-show", "priority": "High", "status": "New"}).json()["items"]
    assert [(i["lead_id"], i["source"], i["priority"]) for i in found] == [(lead["lead_id"], "trade_show", "high")]
    logged = api.post(f"/leads/{lead['lead_id']}/activities", json={"kind": "Meeting", "subject": "Demo"})
    assert logged.status_code == 200, logged.text
    refused = api.get("/leads", params={"source": "Television"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "source"
    assert "must be one of: website, email_campaign" in refused.json()["detail"]


def test_saved_and_system_views(api: TestClient, engine: Engine) -> None:
    rep = bearer(engine, user="rep-7", role=Role.REP)
    mine = capture(api, {"contact_name": "Mine", "email": "mine@example.com"})["lead_id"]
    api.post(f"/leads/{mine}/assign", json={"owner": "rep-7"})
    hot = capture(api, {"contact_name": "Hot", "email": "hot@example.com", "source": "trade_show"})
    seen(api, hot["position"])
    saved = api.put("/views/trade-shows", json={"source": "trade_show"}, headers=rep)
    assert saved.status_code == 200
    assert [v["name"] for v in api.get("/views", headers=rep).json()][:1] == ["trade-shows"]
    by_admin = api.put("/views/trade-shows", json={"source": "trade_show"})
    assert by_admin.status_code == 200
    assert [i["contact_name"] for i in api.get("/leads", params={"saved": "trade-shows"}).json()["items"]] == ["Hot"]
    assert [i["lead_id"] for i in api.get("/leads", params={"view": "my_leads"}, headers=rep).json()["items"]] == [mine]
    unread = api.get("/leads", params={"view": "unread"}, headers=rep).json()["items"]
    assert [i["lead_id"] for i in unread] == [mine], "assigned by someone else: unread for its owner"
    assert api.get("/leads", params={"saved": "nope"}).status_code == 404
    assert api.delete("/views/trade-shows", headers=rep).status_code == 204


def test_a_saved_view_with_unknown_keys_is_refused_naming_each_and_saves_nothing(api: TestClient) -> None:
    refused = api.put("/views/mine", json={"source": "website", "colour": "red", "sortt": "score"})
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["colour", "sortt"]
    assert "it keeps: status, owner, source" in refused.json()["detail"]
    assert "mine" not in [v["name"] for v in api.get("/views").json()]


def test_a_saved_view_keeps_its_sort_and_order_and_the_request_may_override_them(api: TestClient) -> None:
    position = 0
    for name, points in [("Abe", 30), ("Bea", 10), ("Cleo", 20)]:
        lead = capture(api, {"contact_name": name, "email": f"{name}@example.com", "source": "referral"})
        adjusted = api.post(f"/leads/{lead['lead_id']}/score-adjustments", json={"points": points, "reason": "test"})
        position = adjusted.json()["position"]
    other = capture(api, {"contact_name": "Dan", "email": "dan@example.com", "source": "website"})
    seen(api, max(position, other["position"]))
    saved = api.put("/views/by-score", json={"source": "Referral", "sort": "score", "order": "asc"})
    assert saved.status_code == 200, saved.text
    kept = {"source": "referral", "sort": "score", "order": "asc"}
    assert saved.json()["filters"] == kept
    assert [v["filters"] for v in api.get("/views").json() if v["name"] == "by-score"] == [kept]

    def names(**params: str) -> list[str]:
        response = api.get("/leads", params={"saved": "by-score"} | params)
        assert response.status_code == 200, response.text
        return [i["contact_name"] for i in response.json()["items"]]

    assert names() == ["Bea", "Cleo", "Abe"]
    assert names(order="desc") == ["Abe", "Cleo", "Bea"]
    assert names(sort="contact_name") == ["Abe", "Bea", "Cleo"], "the request's sort, the view's order"
    unsorted = api.put("/views/referrals", json={"source": "referral"})
    assert unsorted.json()["filters"] == {"source": "referral"}
    listed = api.get("/leads", params={"saved": "referrals"}).json()["items"]
    assert [i["contact_name"] for i in listed] == ["Cleo", "Bea", "Abe"], "no sort saved: newest first"


def test_feeds_and_the_inbox_tell_followers_about_changes_made_by_others(api: TestClient, engine: Engine) -> None:
    rep = bearer(engine, user="rep-1", role=Role.REP)
    lead = capture(api, {"contact_name": "Ada", "email": "ada@example.com"})["lead_id"]
    api.post(f"/leads/{lead}/assign", json={"owner": "rep-1"})
    api.post(f"/leads/{lead}/contact", json={"via": "call"}, headers=rep)
    last = api.post(f"/leads/{lead}/notes", json={"text": "Call back Friday"}).json()
    seen(api, last["position"])
    feed = api.get(f"/leads/{lead}/feed").json()
    assert [(i["kind"], i["actor"]) for i in feed] == [
        ("note_added", "admin-1"),
        ("contacted", "rep-1"),
        ("assigned", "admin-1"),
        ("captured", "admin-1"),
    ]
    assert [i["kind"] for i in api.get("/feed", headers=rep).json()] == ["note_added", "contacted", "assigned"]
    inbox = api.get("/notifications", headers=rep).json()
    assert [(n["kind"], n["read"]) for n in inbox] == [("note_added", False), ("assigned", False)], (
        "the rep's own contact is not news to the rep"
    )
    assert api.post(f"/notifications/{inbox[0]['notification_id']}/read").status_code == 404, "not the admin's"
    assert api.post(f"/notifications/{inbox[0]['notification_id']}/read", headers=rep).status_code == 204
    assert [n["kind"] for n in api.get("/notifications", params={"unread": True}, headers=rep).json()] == ["assigned"]


def test_the_aging_monitor_alerts_the_owner_once_per_stay(api: TestClient, engine: Engine) -> None:
    rep = bearer(engine, user="rep-1", role=Role.REP)
    lead = capture(api, {"contact_name": "Slow", "email": "slow@example.com"})["lead_id"]
    done = api.post(f"/leads/{lead}/assign", json={"owner": "rep-1"}).json()
    seen(api, done["position"])
    monitor: AgingMonitor = engine.aging_monitor()
    later = datetime.now(UTC) + timedelta(days=3)
    assert monitor.sweep(now=later) == 1
    assert monitor.sweep(now=later) == 1, "sent again before the projection saw it: the same command, no new event"
    history = api.get(f"/leads/{lead}/history").json()
    assert [e["type"] for e in history].count("lead.aging_alerted.v1") == 1
    seen(api, engine.service.recorder.max_notification_id() or 0)  # type: ignore[attr-defined]
    wait_for(
        lambda: any(n["kind"] == "aging_alerted" for n in api.get("/notifications", headers=rep).json()),
        what="the aging notification",
    )
    assert monitor.sweep(now=later) == 0
    aged = api.get("/leads", params={"view": "aging"}, headers=rep).json()["items"]
    assert aged == [], "the aging view compares with now, and the lead is only minutes old"


def test_reports_and_metrics(api: TestClient) -> None:
    last = None
    for i, source in enumerate(["website", "website", "referral"]):
        last = capture(api, {"contact_name": f"R{i}", "email": f"r{i}@example.com", "source": source})
    assert last is not None
    seen(api, last["position"])
    sources = {r["source"]: r["leads"] for r in api.get("/reports/sources").json()}
    assert sources == {"website": 2, "referral": 1}
    assert [r["reached"] for r in api.get("/reports/funnel").json()] == [3, 0, 0, 0]
    assert sum(r["leads"] for r in api.get("/reports/volume", params={"period": "month"}).json()) == 3
    assert api.get("/reports/aging").json() == [
        {"status": "new", "bucket": "0-7", "leads": 3, "average_days_since_activity": None}
    ]
    for path in ("/reports/reps", "/reports/time-in-status", "/reports/geography"):
        assert api.get(path).status_code == 200
    metrics = api.get("/metrics").text
    assert 'leads_consumer_lag{consumer="lead_list_v4"} 0.0' in metrics
    assert 'leads_consumer_running{consumer="feeds_v1"} 1.0' in metrics


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(Role.ADMIN, True), (Role.MANAGER, True), (Role.AUDITOR, True), (Role.REP, False), (Role.INTEGRATION, False)],
)
def test_reports_need_the_export_permission(api: TestClient, engine: Engine, role: Role, allowed: bool) -> None:
    response = api.get("/reports/funnel", headers=bearer(engine, user="someone", role=role))
    assert response.status_code == (200 if allowed else 403)


def test_a_rep_reads_the_feed_of_their_own_leads_only(api: TestClient, engine: Engine) -> None:
    theirs = capture(api, {"contact_name": "Theirs", "email": "theirs@example.com"})["lead_id"]
    api.post(f"/leads/{theirs}/assign", json={"owner": "rep-2"})
    rep = bearer(engine, user="rep-1", role=Role.REP)
    assert api.get(f"/leads/{theirs}/feed", headers=rep).status_code == 404
    assert api.get(f"/leads/{theirs}/feed", headers=bearer(engine, user="rep-2", role=Role.REP)).status_code == 200
