# ruff: noqa: RUF001 (a company written in Cyrillic is part of what this tests)
"""Through HTTP: the customer master (accounts, contacts, opportunities) as read models linked
both ways to the leads they came from, and duplicates caught at the web-form door and decided by
a person. The issue's acceptance: a form post with the email of an existing contact becomes a
new lead flagged as that contact's duplicate, and merging it keeps both histories; ``GET
/accounts?q=`` finds a converted lead's account, whose document lists contacts, opportunities and
source leads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.auth import Role
from infra.runtime import Engine
from tests.e2e.auth import bearer
from tests.e2e.test_read_api import capture, seen

BANT = {"budget": "50k", "authority": "CTO", "need": "compilers", "timeline": "Q3"}
DEAL = {"opportunity_name": "Compilers - 50 seats", "deal_value": "50000", "expected_close": "2027-03-31"}


@pytest.fixture
def api(engine: Engine) -> Iterator[TestClient]:
    engine.start_background()
    with TestClient(engine.app(), headers=bearer(engine)) as client:
        yield client


def ok(response: Any) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


def converted(api: TestClient, lead: dict[str, Any], **convert: Any) -> dict[str, Any]:
    """Capture, contact, record BANT, qualify and convert a lead; wait until every view has it."""
    lead_id = capture(api, lead, on_duplicate="create")["lead_id"]
    ok(api.post(f"/leads/{lead_id}/contact", json={"via": "call"}))
    ok(api.put(f"/leads/{lead_id}/bant", json={"changes": BANT}))
    ok(api.post(f"/leads/{lead_id}/qualify"))
    result = ok(api.post(f"/leads/{lead_id}/convert", json=DEAL | {"probability": 40} | convert))
    seen(api, result["position"])
    return {"lead_id": lead_id} | {k: str(v) for k, v in result["created"].items()}


GRACE = {"contact_name": "Grace Hopper", "email": "grace@navy.example", "company": "Compilers Inc"}


def types(history: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in history]


def test_a_form_post_with_a_contacts_email_is_flagged_as_its_duplicate_and_merging_keeps_both_histories(
    api: TestClient,
) -> None:
    customer = converted(api, GRACE)
    with TestClient(api.app) as public:
        posted = ok(public.post("/forms/contact-us", data={"name": "G. Hopper", "email": "GRACE@navy.example"}))
    seen(api, posted["position"])
    flagged = ok(api.get(f"/leads/{posted['lead_id']}"))
    assert flagged["status"] == "new", "a form never loses a lead"
    assert (flagged["duplicate_of"], flagged["duplicate_of_kind"]) == (customer["contact_id"], "contact")
    assert flagged["duplicate_candidates"][0]["record_id"] == customer["contact_id"]

    merged = ok(api.post(f"/leads/{posted['lead_id']}/merge-into-contact", json={"contact_id": customer["contact_id"]}))
    seen(api, merged["position"])
    assert types(ok(api.get(f"/leads/{posted['lead_id']}/history"))) == [
        "lead.captured.v1",
        "lead.marked_duplicate.v2",
        "lead.merged_into_contact.v1",
    ]
    assert types(ok(api.get(f"/leads/{customer['lead_id']}/history")))[-1] == "lead.converted.v2"
    contact_history = ok(api.get(f"/contacts/{customer['contact_id']}/history"))
    assert types(contact_history) == ["contact.registered.v1", "contact.lead_linked.v1", "contact.lead_merged.v1"]
    account_history = ok(api.get(f"/accounts/{customer['account_id']}/history"))
    assert types(account_history)[-1] == "account.lead_merged.v1"
    account = ok(api.get(f"/accounts/{customer['account_id']}"))
    assert set(account["source_leads"]) == {customer["lead_id"], posted["lead_id"]}
    assert ok(api.get(f"/leads/{posted['lead_id']}"))["status"] == "merged"


def test_not_a_duplicate_is_a_decision_remembered_on_the_lead(api: TestClient) -> None:
    customer = converted(api, GRACE)
    with TestClient(api.app) as public:
        posted = ok(public.post("/forms/contact-us", data={"name": "Grace Hopper", "email": "grace@navy.example"}))
    lead = posted["lead_id"]
    decided = ok(api.post(f"/leads/{lead}/not-duplicate", json={"of_id": customer["contact_id"]}))
    seen(api, decided["position"])
    doc = ok(api.get(f"/leads/{lead}"))
    assert (doc["duplicate_of"], doc["not_duplicate_of"]) == (None, [customer["contact_id"]])
    refused = api.post(f"/leads/{lead}/merge-into-contact", json={"contact_id": customer["contact_id"]})
    assert refused.status_code == 409 and refused.json()["type"].endswith("declared-distinct")


def test_accounts_q_finds_a_converted_leads_account_with_its_contacts_opportunities_and_source_leads(
    api: TestClient,
) -> None:
    customer = converted(api, GRACE)
    converted(api, {"contact_name": "Мария Иванова", "email": "maria@rogakopyta.example", "company": "Рога и копыта"})
    found = ok(api.get("/accounts", params={"q": "compilers"}))["items"]
    assert [a["account_id"] for a in found] == [customer["account_id"]]
    assert [a["name"] for a in ok(api.get("/accounts", params={"q": "Roga"}))["items"]] == ["Рога и копыта"]
    account = ok(api.get(f"/accounts/{customer['account_id']}"))
    assert account["name"] == "Compilers Inc"
    assert account["contacts"] == [{"id": customer["contact_id"], "name": "Grace Hopper"}]
    assert account["opportunities"] == [{"id": customer["opportunity_id"], "name": DEAL["opportunity_name"]}]
    assert account["source_leads"] == [customer["lead_id"]]
    contact = ok(api.get(f"/contacts/{customer['contact_id']}"))
    assert (contact["account"]["id"], contact["source_leads"]) == (customer["account_id"], [customer["lead_id"]])
    opportunity = ok(api.get(f"/opportunities/{customer['opportunity_id']}"))
    assert (opportunity["lead_id"], opportunity["account"]["id"], opportunity["contact"]["id"]) == (
        customer["lead_id"],
        customer["account_id"],
        customer["contact_id"],
    )
    lead = ok(api.get(f"/leads/{customer['lead_id']}"))
    assert lead["conversion"]["account_id"] == customer["account_id"], "linked both ways"


def test_an_opportunitys_stage_amount_probability_and_close_date_change_by_events_until_it_closes(
    api: TestClient,
) -> None:
    opp = converted(api, GRACE)["opportunity_id"]
    changed = ok(
        api.patch(
            f"/opportunities/{opp}",
            json={"stage": "proposal", "amount": "62000.50", "probability": 60, "close_date": "2027-04-30"},
        )
    )
    seen(api, changed["position"])
    doc = ok(api.get(f"/opportunities/{opp}"))
    assert (doc["stage"], doc["amount"], doc["probability"], doc["close_date"]) == (
        "proposal",
        "62000.50",
        60,
        "2027-04-30",
    )
    assert types(ok(api.get(f"/opportunities/{opp}/history")))[1:] == [
        "opportunity.amount_changed.v1",
        "opportunity.probability_changed.v1",
        "opportunity.close_date_changed.v1",
        "opportunity.stage_moved.v1",
    ]
    won = ok(api.patch(f"/opportunities/{opp}", json={"stage": "closed_won"}))
    seen(api, won["position"])
    assert ok(api.get(f"/opportunities/{opp}"))["probability"] == 100
    assert [o["opportunity_id"] for o in ok(api.get("/opportunities", params={"stage": "closed_won"}))["items"]] == [
        opp
    ]
    assert ok(api.get("/opportunities", params={"open": "true"}))["items"] == []
    assert api.patch(f"/opportunities/{opp}", json={"amount": "1"}).status_code == 409
    assert api.patch(f"/opportunities/{opp}", json={"stage": "won"}).status_code == 422


def test_a_conversion_may_open_no_opportunity(api: TestClient) -> None:
    customer = converted(api, GRACE, opportunity=False)
    assert "opportunity_id" not in customer
    account = ok(api.get(f"/accounts/{customer['account_id']}"))
    assert (account["opportunities"], account["source_leads"]) == ([], [customer["lead_id"]])
    lead = capture(api, {"contact_name": "Alan Turing", "email": "alan@bletchley.example"})["lead_id"]
    ok(api.post(f"/leads/{lead}/contact", json={"via": "call"}))
    ok(api.put(f"/leads/{lead}/bant", json={"changes": BANT}))
    ok(api.post(f"/leads/{lead}/qualify"))
    refused = api.post(f"/leads/{lead}/convert", json={"opportunity_name": "x"})
    assert refused.status_code == 422 and "deal_value" in refused.json()["detail"]


def test_lists_page_with_a_cursor_and_a_rep_sees_only_the_customers_they_worked_on(
    api: TestClient, engine: Engine
) -> None:
    made = [
        converted(api, {"contact_name": f"Person {i}", "email": f"p{i}@firm{i}.example", "company": f"Firm {i}"})
        for i in range(5)
    ]
    pages, cursor = [], None
    while True:
        page = ok(api.get("/contacts", params={"limit": 2} | ({"cursor": cursor} if cursor else {})))
        pages.append([c["contact_id"] for c in page["items"]])
        cursor = page["next"]
        if cursor is None:
            break
    assert [c for p in pages for c in p] == [m["contact_id"] for m in made]
    assert api.get("/contacts", params={"cursor": "bm90LWEtY3Vyc29y"}).status_code == 422
    with TestClient(api.app, headers=bearer(engine, "rep-9", Role.REP)) as rep:
        assert rep.get("/accounts").json()["items"] == []
        assert rep.get(f"/accounts/{made[0]['account_id']}").status_code == 404
        assert rep.get(f"/accounts/{made[0]['account_id']}/history").status_code == 403
        assert rep.patch(f"/opportunities/{made[0]['opportunity_id']}", json={"probability": 5}).status_code == 404
