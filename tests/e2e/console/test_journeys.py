"""Journeys through the console in headless Chromium, each ending with a screenshot in the
test's output directory: a rep works a lead from the list to conversion, a manager transfers
leads in bulk, an auditor replays a lead to before its reassignment, an operator sees a halted
projection."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from uuid import UUID

from playwright.sync_api import expect

from api.auth import Role, issue_token
from consumers.rebuild import SUFFIX as REBUILD_SUFFIX
from domain.values import EventMeta, LeadDetails
from infra.read_side import projections
from infra.runtime import Engine
from projections.lead_list import LeadList
from tests.conftest import wait_for
from tests.e2e.console.conftest import login
from tests.integration.helpers import wait_until_all_projected

META = EventMeta(actor="test-setup")


def capture(engine: Engine, name: str, owner: str | None = None, company: str = "Engines Ltd") -> UUID:
    email = name.lower().replace(" ", ".") + "@example.com"
    lead = engine.service.capture_lead(
        details=LeadDetails(contact_name=name, email=email, company=company), meta=META
    ).lead_id
    if owner:
        engine.service.assign(lead_id=lead, owner=owner, meta=META)
    return lead


def test_a_rep_filters_their_list_opens_a_lead_logs_a_call_qualifies_and_converts_it(
    engine: Engine, page: Any, tmp_path: Path
) -> None:
    capture(engine, "Ada Lovelace", owner="rep-1")
    capture(engine, "Charles Babbage", owner="rep-1", company="Difference Co")
    capture(engine, "Grace Hopper", owner="rep-2")
    wait_until_all_projected(engine)
    login(page, engine, "rep-1", Role.REP)
    rows = page.get_by_test_id("leads-table").locator("tbody tr")
    expect(rows).to_have_count(2)  # rep-2's lead is outside a rep's scope
    page.get_by_label("Search").fill("ada")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"q=ada"))
    expect(rows).to_have_count(1)
    page.get_by_role("link", name="Ada Lovelace").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ada Lovelace")

    page.get_by_label("Kind").select_option("call")
    page.get_by_label("Subject").fill("Discovery call")
    page.get_by_label("Outcome").fill("Keen, wants a demo")
    page.get_by_role("button", name="Log activity").click()
    expect(page.get_by_test_id("activities")).to_contain_text("Discovery call")
    page.get_by_label("Contacted via").select_option("call")
    page.get_by_role("button", name="Mark contacted").click()
    expect(page.get_by_test_id("status")).to_have_text("contacted")

    page.get_by_role("button", name="Qualify").click()  # refused: BANT first, and the page says which
    expect(page.get_by_test_id("error")).to_contain_text("budget")
    for item, value in {"Budget": "50k", "Authority": "CTO", "Need": "CRM", "Timeline": "Q3"}.items():
        page.get_by_role("textbox", name=item, exact=True).fill(value)
    page.get_by_role("button", name="Save BANT").click()
    expect(page.get_by_test_id("missing-bant")).to_contain_text("ready to qualify")
    page.get_by_role("button", name="Qualify").click()
    expect(page.get_by_test_id("status")).to_have_text("qualified")

    page.get_by_label("Opportunity name").fill("Engines Ltd - 50 seats")
    page.get_by_label("Deal value").fill("50000")
    page.get_by_label("Expected close").fill("2027-03-31")
    page.get_by_label("Probability (%)").fill("40")
    page.get_by_role("button", name="Convert").click()
    expect(page.get_by_test_id("status")).to_have_text("converted")
    expect(page.get_by_test_id("timeline")).to_contain_text("onverted")
    page.screenshot(path=str(tmp_path / "rep-journey.png"), full_page=True)


def test_a_manager_transfers_every_lead_matching_a_filter_across_pages_and_sees_each_result(
    engine: Engine, page: Any, tmp_path: Path
) -> None:
    leads = [capture(engine, f"Lead {i}", owner="rep-1") for i in range(3)]
    other = capture(engine, "Grace Hopper", owner="rep-1")
    wait_until_all_projected(engine)
    login(page, engine, "manager-1", Role.MANAGER, team=["rep-1", "rep-2"])
    page.goto("/ui/leads?owner=rep-1&q=lead&limit=2")
    expect(page.get_by_test_id("leads-table").locator("tbody tr")).to_have_count(2)  # a third on the next page
    page.get_by_label("Every lead matching this list's filters, on every page").check()
    expect(page.get_by_label("From owner")).to_have_value("rep-1")
    page.get_by_label("To owner").fill("rep-2")
    page.get_by_role("button", name="Transfer", exact=True).click()
    expect(page.get_by_test_id("transfer-summary")).to_have_text("3 moved, 0 refused.")
    assert all(engine.service.get_lead(lead).owner == "rep-2" for lead in leads)
    assert engine.service.get_lead(other).owner == "rep-1", "a lead the filter does not match stays"
    page.screenshot(path=str(tmp_path / "manager-journey.png"), full_page=True)


def test_an_auditor_slides_a_lead_back_and_sees_its_old_owner_without_any_write_control(
    engine: Engine, page: Any, tmp_path: Path
) -> None:
    lead = capture(engine, "Ada Lovelace", owner="rep-old")
    engine.service.assign(lead_id=lead, owner="rep-new", meta=META)
    wait_until_all_projected(engine)
    login(page, engine, "auditor-1", Role.AUDITOR)
    page.goto(f"/ui/leads/{lead}")
    expect(page.get_by_test_id("owner")).to_have_text("rep-new")
    expect(page.locator("main form[method=post]")).to_have_count(0)  # no write control at all
    slider = page.get_by_label(re.compile("^Moment"))
    slider.focus()
    slider.press("Home")
    slider.press("ArrowRight")  # version 2: assigned to the first owner
    expect(page.get_by_test_id("as-of-owner")).to_have_text("rep-old")
    expect(page.get_by_test_id("as-of-version")).to_have_text("2")
    moment = page.get_by_test_id("as-of-moment").text_content()
    api = page.request.get(
        f"/leads/{lead}", params={"as_of": moment}, headers={"Authorization": f"Bearer {auditor_token(engine)}"}
    )
    assert api.ok
    shown = page.get_by_test_id("as-of-json").text_content()
    assert json.loads(shown or "") == api.json(), "the slider shows exactly what GET /leads/{id}?as_of= returns"
    page.screenshot(path=str(tmp_path / "auditor-journey.png"), full_page=True)
    page.get_by_label("Or any moment (UTC)").fill("2099-01-01T00:00:00")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("as-of-owner")).to_have_text("rep-new")


def auditor_token(engine: Engine) -> str:
    return issue_token(key=engine.settings.signing_key(), user="auditor-1", role=Role.AUDITOR)


def test_an_operator_sees_a_halted_projection(engine: Engine, page: Any, tmp_path: Path) -> None:
    login(page, engine, "admin-1", Role.ADMIN)
    runner = next(w for w in engine.workers if w.name == LeadList.name)
    runner.status = "halted at lead 00000000-0000-0000-0000-000000000001 version 2: poison"
    page.goto("/ui/operator")
    expect(page.get_by_test_id("health")).to_have_text("degraded")
    expect(page.get_by_test_id(f"state-{LeadList.name}")).to_contain_text("halted at lead")
    expect(page.get_by_test_id("problems")).to_contain_text(f"{LeadList.name} has halted")
    expect(page.get_by_test_id("rebuilds")).to_have_text("No rebuild under way.")
    expect(page.get_by_test_id("dlq-note")).to_contain_text("embedded mode")  # no Kafka, no DLQ

    copy = projections(engine.settings.read_schema, suffix=REBUILD_SUFFIX)["lead_list"]
    with engine.db.cursor() as cur:  # what `leads projections rebuild lead_list` leaves while it runs
        copy.create(cur)
    engine.monitor.report = None  # the next look computes the report now, not at the next interval

    def rebuild_shown() -> bool:
        page.goto("/ui/operator")
        return "lead_list: rebuilding" in page.get_by_test_id("rebuilds").inner_text()

    wait_for(rebuild_shown, timeout=30, what="the rebuild on the operator page")
    page.screenshot(path=str(tmp_path / "operator-journey.png"), full_page=True)
