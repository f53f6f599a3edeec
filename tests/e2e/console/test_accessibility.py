"""Every console page passes axe-core with no serious or critical violation, is usable from the
keyboard, and fits a phone's width without scrolling sideways."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from api.auth import Role
from domain.values import EventMeta, LeadDetails
from infra.runtime import Engine
from tests.e2e.console.conftest import login, serious_violations
from tests.integration.helpers import wait_until_all_projected

META = EventMeta(actor="test-setup")
PHONE = {"width": 390, "height": 844}


def seeded_lead(engine: Engine) -> str:
    service = engine.service
    lead = service.capture_lead(
        details=LeadDetails(contact_name="Ada Lovelace", email="ada@example.com", company="Engines Ltd"), meta=META
    ).lead_id
    service.assign(lead_id=lead, owner="rep-1", meta=META)
    service.assign(lead_id=lead, owner="admin-1", meta=EventMeta(actor="rep-1"))
    wait_until_all_projected(engine)
    return str(lead)


def pages(lead: str) -> list[str]:
    return [
        "/ui/leads",
        f"/ui/leads/{lead}",
        "/ui/inbox",
        "/ui/reports",
        "/ui/operator",
        "/ui/leads?min_score=500",
        "/ui/kanban",
        "/ui/imports/new",
    ]


def test_no_page_has_a_serious_or_critical_accessibility_violation(engine: Engine, page: Any, tmp_path: Path) -> None:
    lead = seeded_lead(engine)
    page.goto("/ui/login")
    assert serious_violations(page) == [], "/ui/login"
    login(page, engine, "admin-1", Role.ADMIN)
    found = {}
    for url in pages(lead):
        page.goto(url)
        if url.endswith(lead):
            page.get_by_role("button", name="Edit details").click()  # the inline form, shown
            slider = page.get_by_role("slider", name="Moment")
            slider.focus()
            slider.press("Home")
            expect(page.get_by_test_id("as-of-owner")).to_have_text("unassigned")
        found[url] = serious_violations(page)
        page.screenshot(path=str(tmp_path / f"page-{len(found)}.png"), full_page=True)
    assert all(v == [] for v in found.values()), found


def test_every_page_fits_a_phone_screen_without_sideways_scrolling(engine: Engine, page: Any, tmp_path: Path) -> None:
    lead = seeded_lead(engine)
    login(page, engine, "admin-1", Role.ADMIN)
    page.set_viewport_size(PHONE)
    wide = {}
    for url in pages(lead):
        page.goto(url)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            wide[url] = overflow
    assert wide == {}, f"pages wider than a phone (px too wide): {wide}"
    page.goto(f"/ui/leads/{lead}")
    page.screenshot(path=str(tmp_path / "lead-on-a-phone.png"), full_page=True)


def test_the_keyboard_reaches_the_content_first_and_works_the_list(engine: Engine, page: Any) -> None:
    seeded_lead(engine)
    login(page, engine, "admin-1", Role.ADMIN)
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    page.get_by_label("Search").focus()
    page.keyboard.type("ada")
    page.keyboard.press("Enter")  # submits the filter form
    page.wait_for_url("**q=ada**")
    page.get_by_role("link", name="Ada Lovelace").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ada Lovelace")
