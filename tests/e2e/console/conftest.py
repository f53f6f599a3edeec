"""The console in a real browser: Debian's Chromium driven by Playwright (its own browser
download cannot work here), one browser for the whole session and a fresh context (cookies,
storage) per test; the engine of each test served over HTTP by uvicorn in a thread, with its
background workers running so the pages show projected data."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright import sync_api as playwright_api

from api.auth import Role, issue_token
from infra.runtime import Engine
from tests.e2e.auth import bearer, ensure_user

AXE = Path(__file__).parent / "vendor" / "axe-4.14.1.min.js"
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


def chromium_path() -> str:
    found = os.environ.get("LEADS_TEST_CHROMIUM") or next(
        (p for p in map(shutil.which, CHROMIUM_CANDIDATES) if p), None
    )
    if not found:
        pytest.fail("no Chromium: `apt-get install -y chromium` (make test installs it when missing)")
    return found


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """One browser for the console's tests. Package-scoped: Playwright's sync API keeps an
    event loop running in this thread while it is open, which tests after the console's (that
    call ``asyncio.run``) must not see."""
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield b
        b.close()


class LiveServer:
    def __init__(self, engine: Engine) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(engine.app(), host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline:
                pytest.fail("the console's server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live(engine: Engine) -> Iterator[LiveServer]:
    engine.start_background()
    with LiveServer(engine) as server:
        yield server


@pytest.fixture
def page(browser: Any, live: LiveServer) -> Iterator[Any]:
    context = browser.new_context(base_url=live.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    yield p
    context.close()
    assert not errors, f"script errors on the page: {errors}"


def token_for(engine: Engine, user: str, role: Role, team: list[str] | None = None) -> str:
    """A token for ``user`` (put in the directory, with a team they manage if ``team``)."""
    if team:
        bearer(engine, user, role, team=team)
    else:
        ensure_user(engine, user, role)
    return issue_token(key=engine.settings.signing_key(), user=user, role=role)


def login(page: Any, engine: Engine, user: str, role: Role, team: list[str] | None = None) -> None:
    """Sign in through the login form, as a person would."""
    page.goto("/ui/login")
    page.get_by_label("Token").fill(token_for(engine, user, role, team))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/ui/leads")


def serious_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical findings on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result
        if v["impact"] in ("serious", "critical")
    ]
