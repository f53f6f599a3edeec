"""The leads as a Kanban board whose filters survive switching to the list and back, and mass
actions (tag, follow, disqualify) on the leads ticked or on every lead matching the list, each
with its per-lead results, in headless Chromium."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from api.auth import Role
from infra.runtime import Engine
from tests.e2e.console.conftest import login, serious_violations
from tests.e2e.console.test_journeys import META, capture
from tests.integration.helpers import wait_until_all_projected


def test_a_manager_switches_list_and_board_keeping_filters_then_tags_follows_and_disqualifies_in_bulk(
    engine: Engine, page: Any, tmp_path: Path
) -> None:
    ada = capture(engine, "Ada Lovelace", owner="rep-1")
    charles = capture(engine, "Charles Babbage", owner="rep-1")
    grace = capture(engine, "Grace Hopper", owner="rep-1", company="Navy Labs")
    engine.service.contact(lead_id=charles, via="call", meta=META)
    wait_until_all_projected(engine)
    login(page, engine, "manager-1", Role.MANAGER, team=["rep-1"])
    violations: dict[str, Any] = {}

    page.get_by_label("Search").fill("engines")
    page.get_by_role("button", name="Apply").click()
    rows = page.get_by_test_id("leads-table").locator("tbody tr")
    expect(rows).to_have_count(2)
    page.get_by_test_id("to-kanban").click()
    expect(page).to_have_url(re.compile(r"/ui/kanban\?.*q=engines"))
    expect(page.get_by_label("Search")).to_have_value("engines")
    expect(page.get_by_test_id("column-new")).to_contain_text("Ada Lovelace")
    expect(page.get_by_test_id("column-contacted")).to_contain_text("Charles Babbage")
    expect(page.get_by_test_id("kanban")).not_to_contain_text("Grace Hopper")  # filtered out on the board too
    violations["kanban"] = serious_violations(page)
    page.get_by_test_id("to-list").click()
    expect(page).to_have_url(re.compile(r"/ui/leads\?.*q=engines"))
    expect(rows).to_have_count(2)

    page.get_by_label("Select Ada Lovelace").check()
    page.get_by_label("Action").select_option("add_tags")
    page.get_by_label("Tags to add (comma separated)").fill("vip, conference")
    page.get_by_role("button", name="Run on the chosen leads").click()
    expect(page.get_by_test_id("bulk-panel")).to_have_attribute("data-state", "finished")
    expect(page.get_by_test_id("bulk-results")).to_have_text("done: 1")
    violations["bulk"] = serious_violations(page)
    assert set(engine.service.get_lead(ada).details.tags) >= {"vip", "conference"}
    assert not engine.service.get_lead(charles).details.tags, "only the ticked lead"

    for action in ("follow", "disqualify"):
        page.goto("/ui/leads?q=engines")
        page.get_by_label("Every lead matching this list's filters, on every page").check()
        page.get_by_label("Action").select_option(action)
        if action == "disqualify":
            page.get_by_label("Disqualify reason").select_option("no_budget")
        page.get_by_role("button", name="Run on the chosen leads").click()
        expect(page.get_by_test_id("bulk-panel")).to_have_attribute("data-state", "finished")
        expect(page.get_by_test_id("bulk-results")).to_have_text("done: 2")
        expect(page.get_by_test_id("bulk-leads").locator("tbody tr")).to_have_count(2)
    page.screenshot(path=str(tmp_path / "bulk-journey.png"), full_page=True)
    for lead in (ada, charles):
        found = engine.service.get_lead(lead)
        assert found.status.value == "unqualified" and "manager-1" in found.followers
    assert engine.service.get_lead(grace).status.value == "new", "a lead the filter does not match is untouched"
    assert all(v == [] for v in violations.values()), violations
