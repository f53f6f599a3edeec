"""A lead's page shows and drives the work the API offers on it, in headless Chromium: the
score with each criterion's points and the grade, a duplicate banner leading to a merge screen
with a choice per field, tasks added and completed, and a conversion onto the account the
customer master already has for the company."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from playwright.sync_api import expect

from api.auth import Role
from domain.picklists import BantItem
from domain.records import OpportunityTerms
from domain.scoring import ScoringModel
from domain.values import EventMeta, LeadDetails
from infra.runtime import Engine
from tests.e2e.console.conftest import login, serious_violations, token_for
from tests.integration.helpers import wait_until_all_projected

META = EventMeta(actor="test-setup")
MODEL = {
    "criteria": [
        {
            "id": "big",
            "category": "firmographic",
            "points": 10,
            "conditions": [{"field": "company_size", "op": "range", "value": {"min": 100}}],
        }
    ]
}
BANT = {BantItem.BUDGET: "50k", BantItem.AUTHORITY: "CTO", BantItem.NEED: "CRM", BantItem.TIMELINE: "Q3"}


def capture(engine: Engine, name: str, email: str, company: str, phone: str | None = None) -> UUID:
    details = LeadDetails(contact_name=name, email=email, company=company, phone=phone, company_size=500)
    return engine.service.capture_lead(details=details, meta=META).lead_id


def qualify(engine: Engine, lead: UUID) -> None:
    engine.service.contact(lead_id=lead, via="call", meta=META)
    engine.service.update_bant(lead_id=lead, changes=dict(BANT), meta=META)
    engine.service.qualify(lead_id=lead, meta=META)


def test_a_lead_page_shows_score_parts_merges_a_duplicate_by_field_runs_tasks_and_converts_onto_known_records(
    engine: Engine, page: Any, tmp_path: Path
) -> None:
    service = engine.service
    service.save_scoring_draft(model=ScoringModel.model_validate(MODEL), meta=META)
    service.publish_scoring_model(meta=META)
    earlier = capture(engine, "Ada Lovelace", "ada@engines.example", "Engines Ltd")
    qualify(engine, earlier)
    terms = OpportunityTerms(
        name="First deal", deal_value=Decimal(1000), expected_close=date(2027, 1, 1), probability=50
    )
    account = service.convert(lead_id=earlier, terms=terms, meta=META).created["account_id"]
    master = capture(engine, "Grace Hopper", "grace@navy.example", "Navy Labs")
    duplicate = capture(engine, "Grace B. Hopper", "grace.h@navy.example", "Navy Labs", phone="+44 20 7946 0958")
    service.mark_duplicate(lead_id=duplicate, of_lead_id=master, matched_on="name", meta=META)
    colleague = capture(engine, "Charles Babbage", "charles@engines.example", "Engines Ltd")
    qualify(engine, colleague)
    wait_until_all_projected(engine)
    login(page, engine, "admin-1", Role.ADMIN)
    violations: dict[str, Any] = {}

    page.goto(f"/ui/leads/{duplicate}")
    banner = page.get_by_test_id("duplicate-banner")
    expect(banner).to_contain_text("Grace Hopper")
    violations["banner"] = serious_violations(page)
    banner.get_by_role("link", name="Merge into Grace Hopper…").click()
    fields = page.get_by_test_id("merge-fields")
    expect(fields).to_contain_text("grace.h@navy.example")
    violations["merge"] = serious_violations(page)
    fields.get_by_role("radio", name="phone of the merged lead").check()  # the master has none
    fields.get_by_role("radio", name="contact_name of the merged lead").check()
    page.get_by_role("button", name="Merge").click()
    expect(page).to_have_url(f"{page.url.split('/ui/')[0]}/ui/leads/{master}?after=" + page.url.split("after=")[-1])
    expect(page.get_by_test_id("detail-contact_name")).to_have_text("Grace B. Hopper")
    expect(page.get_by_test_id("detail-phone")).to_have_text("+442079460958")
    expect(page.get_by_test_id("detail-email")).to_have_text("grace@navy.example")  # kept: not chosen
    assert service.get_lead(duplicate).status.value == "merged"

    shown = [
        tuple(r.split("\t"))
        for r in page.get_by_test_id("score-contributions")
        .locator("tbody tr")
        .evaluate_all("rows => rows.map(r => [...r.cells].map(c => c.innerText).join('\\t'))")
    ]
    token = token_for(engine, "admin-1", Role.ADMIN)
    score = page.request.get(f"/leads/{master}", headers={"Authorization": f"Bearer {token}"}).json()["score"]
    api_parts = [(c["criterion"], c["category"], str(c["points"])) for c in score["contributions"]]
    assert shown == api_parts and api_parts, (shown, api_parts)
    expect(page.get_by_test_id("score")).to_have_text(str(score["shown"]))
    expect(page.get_by_test_id("grade")).to_have_text(score["grade"] or "—")

    page.get_by_label("Task", exact=True).fill("Send the proposal")
    page.get_by_label("Due (UTC)").fill("2027-01-15T09:00")
    page.get_by_role("button", name="Add task").click()
    tasks = page.get_by_test_id("tasks")
    expect(tasks).to_contain_text("Send the proposal")
    expect(tasks).to_contain_text("2027-01-15 09:00")
    violations["tasks"] = serious_violations(page)
    page.get_by_role("button", name="Complete Send the proposal").click()
    expect(tasks).to_contain_text("(done)")

    page.goto(f"/ui/leads/{colleague}")
    suggestion = page.get_by_test_id("conversion-suggestion")
    expect(suggestion.get_by_role("radio", name="Use account Engines Ltd")).to_be_checked()
    violations["convert"] = serious_violations(page)
    page.get_by_label("Opportunity name").fill("Engines Ltd - second team")
    page.get_by_label("Deal value").fill("2000")
    page.get_by_label("Expected close").fill("2027-03-31")
    page.get_by_label("Probability (%)").fill("30")
    page.get_by_role("button", name="Convert").click()
    expect(page.get_by_test_id("status")).to_have_text("converted")
    page.screenshot(path=str(tmp_path / "lead-work.png"), full_page=True)
    links = service.get_lead(colleague).conversion
    assert links is not None and links.account_id == account
    assert all(v == [] for v in violations.values()), violations
