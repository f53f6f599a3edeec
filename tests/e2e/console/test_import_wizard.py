"""An admin imports a CSV through the wizard in headless Chromium: choose the file, fix a column
the automatic mapping left out, read each row's verdict, confirm, and watch the job finish."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from api.auth import Role
from infra.runtime import Engine
from projections.lead_queries import LeadFilter
from tests.e2e.console.conftest import login, serious_violations
from tests.integration.helpers import wait_until_all_projected

CSV = (
    b"Name,E-mail,Org,Phone\n"
    b"Ada Lovelace,ada@example.com,Analytical Engines,+44 20 7946 0958\n"
    b"Grace Hopper,grace@example.com,Navy Labs,\n"
    b"Nobody,not-an-email,Nowhere,\n"
    b"Alan Turing,alan@example.com,Bletchley,\n"
)


def test_an_admin_imports_a_csv_through_the_wizard_mapping_dry_run_confirm_and_progress(
    engine: Engine, page: Any, tmp_path: Path
) -> None:
    login(page, engine, "admin-1", Role.ADMIN)
    page.get_by_role("link", name="Import").click()
    page.get_by_label("File (CSV or XLSX)").set_input_files(
        {"name": "people.csv", "mimeType": "text/csv", "buffer": CSV}
    )
    page.get_by_role("button", name="Dry run", exact=True).click()
    panel = page.get_by_test_id("import-panel")
    expect(panel).to_have_attribute("data-state", "planned")
    expect(page.get_by_label("Org")).to_have_value("")  # "Org" is no header the mapping knows
    expect(page.get_by_test_id("import-row-4")).to_contain_text("rejected")
    expect(page.get_by_test_id("import-row-4")).to_contain_text("email")
    assert serious_violations(page) == []

    first = panel.get_attribute("data-import-id")
    page.get_by_label("Org").select_option("company")  # the mapping step, on the same file
    page.get_by_role("button", name="Dry run again with this mapping").click()
    expect(panel).not_to_have_attribute("data-import-id", first or "")
    expect(panel).to_have_attribute("data-state", "planned")
    expect(page.get_by_label("Org")).to_have_value("company")
    expect(page.get_by_test_id("count-create")).to_have_text("create: 3")
    expect(page.get_by_test_id("count-rejected")).to_have_text("rejected: 1")
    expect(page.get_by_test_id("import-row-2")).to_contain_text("create")

    page.get_by_role("button", name="Confirm the import").click()
    expect(page.get_by_test_id("import-progress")).to_be_visible()  # polled while it runs
    expect(panel).to_have_attribute("data-state", "finished")
    expect(page.get_by_test_id("import-results")).to_contain_text("3")
    expect(page.get_by_role("link", name="Download the rejected rows with their reasons")).to_be_visible()
    assert serious_violations(page) == []
    page.screenshot(path=str(tmp_path / "import-journey.png"), full_page=True)

    companies = {engine.service.get_lead(row["lead_id"]).details.company for row in leads(engine)}
    assert companies == {"Analytical Engines", "Navy Labs", "Bletchley"}


def leads(engine: Engine) -> list[dict[str, Any]]:
    wait_until_all_projected(engine)
    rows: list[dict[str, Any]] = engine.queries.find_leads(
        LeadFilter(), sort="created_at", descending=False, cursor=None, limit=100
    ).rows
    return rows
