"""The list and a lead's page in the browser: keyset pages forward and back with the filters
kept in the URL, next and previous lead across a page boundary, a saved view, and an inline
edit that meets another writer's change (shown, with the user's values kept)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from api.auth import Role
from domain.values import EventMeta
from infra.runtime import Engine
from tests.e2e.console.conftest import login
from tests.e2e.console.test_journeys import capture
from tests.integration.helpers import wait_until_all_projected

META = EventMeta(actor="test-setup")
NAMES = ["Ada", "Bea", "Cy", "Dee", "Eve"]


def names_shown(page: Any) -> list[str]:
    return [
        n.strip() for n in page.get_by_test_id("leads-table").locator("tbody tr td:nth-child(2) a").all_text_contents()
    ]


def test_a_filtered_sorted_list_pages_both_ways_and_a_lead_steps_to_its_neighbours(
    engine: Engine, page: Any, tmp_path: Path
) -> None:
    for name in NAMES:
        capture(engine, name, owner="rep-1")
    capture(engine, "Zed", owner="rep-2")
    wait_until_all_projected(engine)
    login(page, engine, "admin-1", Role.ADMIN)
    page.goto("/ui/leads?owner=rep-1&sort=contact_name&order=asc&limit=2")
    assert names_shown(page) == ["Ada", "Bea"]
    page.get_by_role("link", name="Next page").click()
    expect(page).to_have_url(re.compile(r"owner=rep-1.*cursor="))
    assert names_shown(page) == ["Cy", "Dee"]
    page.get_by_role("link", name="Previous page").click()
    assert names_shown(page) == ["Ada", "Bea"]
    page.get_by_role("link", name="Bea").click()
    expect(page.get_by_test_id("prev-lead")).to_be_visible()
    page.get_by_test_id("next-lead").click()  # Cy is on the next page of the list
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cy")
    page.get_by_test_id("next-lead").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dee")
    page.get_by_test_id("prev-lead").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cy")
    page.get_by_role("link", name="Back to the list").click()
    expect(page).to_have_url(re.compile(r"owner=rep-1"))
    assert "Zed" not in names_shown(page)
    page.get_by_text("Save this view").click()
    page.get_by_label("View name").fill("rep-1 by name")
    page.get_by_role("button", name="Save view").click()
    expect(page).to_have_url(re.compile(r"saved=rep-1"))
    assert names_shown(page) == NAMES
    expect(page.get_by_role("link", name="rep-1 by name (saved)")).to_be_visible()
    page.screenshot(path=str(tmp_path / "list.png"), full_page=True)


def test_an_edit_that_meets_another_writers_change_is_shown_and_keeps_what_was_typed(
    engine: Engine, page: Any, tmp_path: Path
) -> None:
    lead = capture(engine, "Ada Lovelace", owner="rep-1")
    wait_until_all_projected(engine)
    login(page, engine, "rep-1", Role.REP)
    page.goto(f"/ui/leads/{lead}")
    page.get_by_role("button", name="Edit details").click()
    page.get_by_label("Job title").fill("CTO")
    engine.service.update_details(lead_id=lead, changes={"company": "Rival Ltd"}, meta=META)  # someone else, first
    page.get_by_role("button", name="Save details").click()
    expect(page.get_by_test_id("conflict")).to_be_visible()
    expect(page.get_by_label(re.compile("^Job title"))).to_have_value("CTO")
    expect(page.get_by_label(re.compile("^Company"))).to_have_value("Rival Ltd")  # theirs, which the user left alone
    page.screenshot(path=str(tmp_path / "conflict.png"), full_page=True)
    page.get_by_role("button", name="Save details").click()  # deliberately, over the current version
    expect(page.get_by_test_id("detail-job_title")).to_have_text("CTO")
    expect(page.get_by_test_id("detail-company")).to_have_text("Rival Ltd")
    assert engine.service.get_lead(lead).details.job_title == "CTO"
