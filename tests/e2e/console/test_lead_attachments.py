"""A lead's attachments on its page, in headless Chromium and over HTTP: a rep attaches a file,
sees it listed with its size and type, and downloads the same bytes through the console (the
API's download, same safe headers); an oversized upload or none at all is refused with a 4xx
page naming the reason, never a 500; a NUL and non-BMP file name is kept readable and an
active content type (text/html) is served back as an inert download."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from playwright.sync_api import expect

from api.auth import Role
from domain import limits
from domain.values import EventMeta, LeadDetails
from infra.runtime import Engine
from tests.e2e.console.conftest import login, serious_violations
from tests.e2e.console.test_console_hostile import signed_in
from tests.integration.helpers import wait_until_all_projected

__all__ = ["signed_in"]
META = EventMeta(actor="test-setup")
CONTENT = "Call notes: budget agreed, \u00e9t\u00e9 \U0001f600\n".encode()


def test_a_rep_attaches_a_file_to_a_lead_sees_it_listed_and_downloads_the_same_bytes(
    engine: Engine, page: Any, tmp_path: Path
) -> None:
    lead = engine.service.capture_lead(
        details=LeadDetails(contact_name="Grace Hopper", email="grace@example.com"), meta=META
    ).lead_id
    engine.service.assign(lead_id=lead, owner="rep-1", meta=META)
    wait_until_all_projected(engine)
    login(page, engine, "rep-1", Role.REP)
    page.goto(f"/ui/leads/{lead}")
    card = page.locator("section", has=page.get_by_role("heading", name="Attachments"))
    expect(card.get_by_test_id("attachments")).to_contain_text("No attachments.")
    page.get_by_label("File to attach").set_input_files(
        files=[{"name": "call notes.txt", "mimeType": "text/plain", "buffer": CONTENT}]
    )
    page.get_by_role("button", name="Attach file").click()
    listed = card.get_by_test_id("attachments")
    expect(listed).to_contain_text("call notes.txt")
    expect(listed).to_contain_text(f"{len(CONTENT)} bytes, text/plain, by rep-1")
    assert serious_violations(page) == []
    page.screenshot(path=str(tmp_path / "lead-attachments.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download call notes.txt").click()
    assert download.value.suggested_filename == "call notes.txt"
    assert Path(download.value.path()).read_bytes() == CONTENT


def test_an_oversized_or_missing_upload_is_refused_with_a_4xx_page_never_a_server_error(
    signed_in: tuple[TestClient, str, str],
) -> None:
    client, csrf, lead = signed_in
    page = client.get(f"/ui/leads/{lead}").text
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version and ">Attach file</button>" in page
    url = f"/ui/leads/{lead}/attachments"

    def post(files: Any) -> Any:
        return client.post(url, data={"csrf": csrf, "version": version.group(1)}, files=files)

    missing = post(None)
    assert missing.status_code == 422 and "choose a file to attach" in missing.text, missing.text[:300]
    empty_name = post({"file": ("", b"", "text/plain")})
    assert empty_name.status_code in (400, 422), empty_name.text[:300]
    odd = post({"file": ("a\0b \U0001f600.txt", b"\0\xff", "text/html; charset=x")})
    assert odd.status_code == 303, odd.text[:300]
    shown = client.get(odd.headers["location"]).text
    assert "\U0001f600.txt" in shown and "2 bytes, text/html" in shown, shown[:300]
    aid = re.search(rf'/ui/leads/{lead}/attachments/([0-9a-f-]{{36}})"', shown)
    assert aid, shown[:300]
    served = client.get(f"{url}/{aid.group(1)}")
    assert served.content == b"\0\xff" and served.headers["content-type"] == "application/octet-stream"
    assert served.headers["x-content-type-options"] == "nosniff"
    limits.configure(limits.Limits(attachment_bytes=1024))
    over_file = post({"file": ("big.txt", b"x" * 2000, "text/plain")})
    assert over_file.status_code == 413 and "limited to 1024 bytes" in over_file.text, over_file.text[:300]
    over_body = post({"file": ("huge.bin", b"\0" * 200_000, "application/octet-stream")})
    assert over_body.status_code == 413 and "limited to" in over_body.text, over_body.text[:300]
    unknown = client.get(f"{url}/{uuid.uuid4()}")
    assert unknown.status_code == 404, unknown.text[:300]
    assert "big.txt" not in client.get(f"/ui/leads/{lead}").text
