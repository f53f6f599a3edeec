"""Erasure through HTTP: an admin erases a lead's personal data; the history stays but reads
as erased, every view forgets it, its files go, and the lead accepts no more changes."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest
from fastapi.testclient import TestClient

from infra.runtime import Engine
from tests.e2e.auth import bearer
from tests.e2e.test_api import create, ok
from tests.e2e.test_read_api import seen

ADA = {
    "contact_name": "Ada Lovelace",
    "email": "ada@example.com",
    "phone": "+442079460958",
    "company": "Engines Ltd",
    "job_title": "Countess",
    "address": {"street": "12 St James's Square", "city": "London", "country": "GB"},
}
SECRETS = ("Ada Lovelace", "ada@example.com", "+442079460958", "Countess", "St James", "Lovelace notes", "ada.pdf")


@pytest.fixture
def api(engine: Engine) -> Iterator[TestClient]:
    engine.start_background()
    with TestClient(engine.app(), headers=bearer(engine)) as client:
        yield client


def worked(api: TestClient) -> tuple[str, int]:
    lead = create(api, ADA)
    ok(api.post(f"/leads/{lead}/notes", json={"text": "Lovelace notes: wants a demo"}))
    ok(api.post(f"/leads/{lead}/activities", json={"kind": "call", "subject": "Call with Ada Lovelace"}))
    ok(api.post(f"/leads/{lead}/attachments", files={"file": ("ada.pdf", b"%PDF ada's CV", "application/pdf")}))
    last = ok(
        api.post(f"/leads/{lead}/attachments", files={"file": ("shared.pdf", b"%PDF price list", "application/pdf")})
    )
    return lead, int(last["position"])


def leaked(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def test_an_erased_lead_keeps_its_history_but_no_one_can_read_its_personal_data(
    api: TestClient, engine: Engine
) -> None:
    lead, position = worked(api)
    other = create(api, {"contact_name": "Grace Hopper", "email": "grace@example.com"})
    ok(api.post(f"/leads/{other}/attachments", files={"file": ("p.pdf", b"%PDF price list", "application/pdf")}))
    seen(api, position)
    assert api.get(f"/leads/{lead}").json()["details"]["contact_name"] == "Ada Lovelace"
    history_before = ok(api.get(f"/leads/{lead}/history"))

    erased = ok(api.post(f"/leads/{lead}/erase", json={"request": "DSR-2026-0042"}))
    seen(api, erased["position"])

    detail = ok(api.get(f"/leads/{lead}"))
    assert detail["erased"] and detail["details"]["contact_name"] == "[erased]" and detail["details"]["email"] is None
    assert detail["details"]["company"] == "Engines Ltd" and detail["details"]["address"]["country"] == "GB"
    views = [
        api.get(f"/leads/{lead}").text,
        api.get("/leads").text,
        api.get(f"/leads/{lead}/feed").text,
        api.get("/leads", params={"q": "Lovelace"}).text,
        api.get("/feed").text,
    ]
    assert not leaked("".join(views))
    assert lead not in {x["lead_id"] for x in api.get("/leads", params={"q": "Lovelace"}).json()["items"]}

    history = ok(api.get(f"/leads/{lead}/history"))
    assert [e["type"] for e in history] == [e["type"] for e in history_before] + ["lead.personal_data_erased.v1"]
    assert history[-1]["payload"]["request"] == "DSR-2026-0042" and history[-1]["actor"] == "admin-1"
    assert history[0]["payload"]["details"]["contact_name"] == "[erased]"
    as_of = ok(api.get(f"/leads/{lead}", params={"version": 2}))
    export = api.get("/audit/export").content.decode()
    assert not leaked(orjson.dumps(history).decode() + orjson.dumps(as_of).decode() + export)
    assert "Grace Hopper" in export, "other leads are untouched"

    assert [a["name"] for a in detail["attachments"]] == ["[erased]", "[erased]"]
    downloads = {
        a["content_hash"]: api.get(f"/leads/{lead}/attachments/{a['attachment_id']}") for a in detail["attachments"]
    }
    assert [r.status_code for r in downloads.values()] == [404, 200], "the CV is deleted; the shared price list stays"
    other_file = ok(api.get(f"/leads/{other}"))["attachments"][0]["attachment_id"]
    assert api.get(f"/leads/{other}/attachments/{other_file}").content == b"%PDF price list"
    assert list(downloads.values())[1].content == b"%PDF price list"


def test_an_erased_lead_accepts_no_changes_and_erasing_again_is_harmless(api: TestClient) -> None:
    lead, _ = worked(api)
    first = ok(api.post(f"/leads/{lead}/erase", json={}))
    refused = api.patch(f"/leads/{lead}", json={"changes": {"email": "ada@new.example"}})
    assert refused.status_code == 409 and refused.json()["type"].endswith("lead-erased")
    upload = api.post(f"/leads/{lead}/attachments", files={"file": ("again.pdf", b"%PDF again", "application/pdf")})
    assert upload.status_code == 409
    again = ok(api.post(f"/leads/{lead}/erase", json={}))
    assert again["version"] == first["version"]
    assert [e["type"] for e in ok(api.get(f"/leads/{lead}/history"))].count("lead.personal_data_erased.v1") == 1


def test_a_converted_lead_is_erased_with_the_contact_its_conversion_created(api: TestClient, engine: Engine) -> None:
    lead = create(api, ADA)
    ok(api.post(f"/leads/{lead}/contact", json={"via": "call"}))
    ok(
        api.put(
            f"/leads/{lead}/bant",
            json={"changes": {"budget": "5k", "authority": "CEO", "need": "CRM", "timeline": "Q1"}},
        )
    )
    ok(api.post(f"/leads/{lead}/qualify"))
    converted = ok(
        api.post(
            f"/leads/{lead}/convert",
            json={
                "opportunity_name": "Engines deal",
                "deal_value": "100",
                "expected_close": "2027-01-01",
                "probability": 50,
            },
        )
    )
    ok(api.post(f"/leads/{lead}/erase", json={}))
    contact = engine.service.repository.get(converted["created"]["contact_id"])
    assert (contact.name, contact.email, contact.phone) == ("[erased]", None, None)
