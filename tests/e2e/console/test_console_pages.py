"""The console's pages over HTTP (no browser): the front door, sign-in with the API's tokens,
the session and CSRF cookies, and which controls each role is shown, derived from the one
permission table (``domain.access.PERMISSIONS``)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.auth import Role
from domain.access import PERMISSIONS, Action
from domain.values import EventMeta, LeadDetails
from infra.runtime import Engine
from tests.e2e.console.conftest import token_for
from tests.integration.helpers import wait_until_all_projected

META = EventMeta(actor="test-setup")
CONTROLS: dict[Action, tuple[str, ...]] = {
    Action.EDIT: tuple(
        f">{name}</button>"
        for name in (
            "Save details",
            "Mark contacted",
            "Log activity",
            "Save BANT",
            "Add note",
            "Assign",
            "Add task",
            "Attach file",
            "Run on the chosen leads",
        )
    ),
    Action.CREATE: ('href="/ui/imports/new"',),
    Action.ADMINISTER: ('data-testid="dead-letters"',),
    Action.ARCHIVE: (">Transfer</button>", '<option value="disqualify">'),
    Action.REPLAY: ("as-of-slider",),
    Action.EXPORT: ('href="/ui/reports"',),
}
"""What each action shows on a lead's page or the list (a button's name, or a marker)."""


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    engine.start_background()
    with TestClient(engine.app(), follow_redirects=False) as c:
        yield c


def sign_in(client: TestClient, token: str) -> None:
    form = client.get("/ui/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf, form.text
    response = client.post("/ui/login", data={"token": token, "csrf": csrf.group(1), "next": ""})
    assert response.status_code == 303, response.text


def test_the_front_door_leads_to_the_console_and_the_console_to_sign_in(client: TestClient) -> None:
    assert client.get("/").headers["location"] == "/ui/"
    response = client.get("/ui/leads?status=new")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/ui/login?next=%2Fui%2Fleads%3Fstatus%3Dnew")


def test_signing_in_sets_an_http_only_strict_session_cookie_and_a_csrf_cookie(
    engine: Engine, client: TestClient
) -> None:
    form = client.get("/ui/login")
    csrf_cookie = form.headers["set-cookie"]
    assert "leads_csrf=" in csrf_cookie and "SameSite=strict" in csrf_cookie and "HttpOnly" not in csrf_cookie
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf
    response = client.post("/ui/login", data={"token": token_for(engine, "rep-1", Role.REP), "csrf": csrf.group(1)})
    session = response.headers["set-cookie"]
    assert "leads_session=" in session and "HttpOnly" in session and "SameSite=strict" in session
    assert response.headers["location"] == "/ui/leads"
    assert client.get("/ui/leads").status_code == 200


def test_a_post_without_the_matching_csrf_token_is_refused(engine: Engine, client: TestClient) -> None:
    client.get("/ui/login")
    token = token_for(engine, "rep-1", Role.REP)
    assert client.post("/ui/login", data={"token": token}).status_code == 403
    assert client.post("/ui/login", data={"token": token, "csrf": "x" * 43}).status_code == 403


def test_an_invalid_token_is_refused_with_the_reason(client: TestClient) -> None:
    form = client.get("/ui/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf
    response = client.post("/ui/login", data={"token": "not-a-token", "csrf": csrf.group(1)})
    assert response.status_code == 401 and "invalid bearer token" in response.text
    assert "leads_session" not in response.headers.get("set-cookie", "")


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER, Role.REP, Role.AUDITOR])
def test_each_role_sees_only_the_controls_its_permissions_allow(engine: Engine, client: TestClient, role: Role) -> None:
    user = f"{role.value}-1"
    token = token_for(engine, user, role, team=["rep-9"] if role is Role.MANAGER else None)
    lead = engine.service.capture_lead(
        details=LeadDetails(contact_name="Ada Lovelace", email="ada@example.com"), meta=META
    ).lead_id
    engine.service.assign(lead_id=lead, owner=user if role is Role.REP else "rep-9", meta=META)
    wait_until_all_projected(engine)
    sign_in(client, token)
    shown = client.get(f"/ui/leads/{lead}").text + client.get("/ui/leads").text + client.get("/ui/operator").text
    wizard = client.get("/ui/imports/new")
    assert (wizard.status_code == 200) is (Action.CREATE in PERMISSIONS[role]), wizard.status_code
    for action, markers in CONTROLS.items():
        allowed = action in PERMISSIONS[role]
        for marker in markers:
            assert (marker in shown) is allowed, f"{role}: {marker!r} {'missing' if allowed else 'shown'}"


def test_a_lead_page_offers_only_the_commands_its_status_allows(engine: Engine, client: TestClient) -> None:
    sign_in(client, token_for(engine, "admin-1", Role.ADMIN))
    lead = engine.service.capture_lead(
        details=LeadDetails(contact_name="Ada Lovelace", email="ada@example.com"), meta=META
    ).lead_id
    wait_until_all_projected(engine)
    new = client.get(f"/ui/leads/{lead}").text
    assert ">Mark contacted</button>" in new and ">Qualify</button>" not in new and ">Convert</button>" not in new
    engine.service.contact(lead_id=lead, via="call", meta=META)
    wait_until_all_projected(engine)
    contacted = client.get(f"/ui/leads/{lead}").text
    assert ">Qualify</button>" in contacted and ">Convert</button>" not in contacted


def test_the_inbox_counts_unread_notifications_and_marking_one_read_counts_it_down(
    engine: Engine, client: TestClient
) -> None:
    sign_in(client, token_for(engine, "rep-1", Role.REP))
    lead = engine.service.capture_lead(
        details=LeadDetails(contact_name="Ada Lovelace", email="ada@example.com"), meta=META
    ).lead_id
    engine.service.assign(lead_id=lead, owner="rep-1", meta=EventMeta(actor="manager-1"))
    wait_until_all_projected(engine)
    inbox = client.get("/ui/inbox").text
    assert 'data-testid="unread-count">1 unread' in inbox and 'aria-label="1 unread"' in inbox
    notification = re.search(r'action="/ui/notifications/([0-9a-f-]+)/read"', inbox)
    csrf = re.search(r'name="csrf" value="([^"]+)"', inbox)
    assert notification and csrf
    response = client.post(f"/ui/notifications/{notification.group(1)}/read", data={"csrf": csrf.group(1)})
    assert response.status_code == 303
    assert 'data-testid="unread-count">0 unread' in client.get("/ui/inbox").text


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/leads", "/ui\\\\evil", ""])
def test_signing_in_never_redirects_off_the_console(engine: Engine, client: TestClient, target: str) -> None:
    form = client.get("/ui/login", params={"reason": "Your account is locked: call 555-0100"})
    assert "555-0100" not in form.text, "the login page does not echo text from the link"
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf
    token = token_for(engine, "rep-1", Role.REP)
    response = client.post("/ui/login", data={"token": token, "csrf": csrf.group(1), "next": target})
    assert response.headers["location"] == "/ui/leads"


def test_a_refused_console_request_is_a_page_and_an_api_one_stays_a_problem(engine: Engine, client: TestClient) -> None:
    sign_in(client, token_for(engine, "admin-1", Role.ADMIN))
    csrf = client.cookies.get("leads_csrf")
    missing = client.get("/ui/no-such-page")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    body = {"csrf": csrf, "from_owner": "a", "to_owner": "b", "lead_ids": "not-a-uuid"}
    malformed = client.post("/ui/leads/transfer", data=body)
    assert malformed.status_code == 422 and "lead_ids" in malformed.text
    assert malformed.headers["content-type"].startswith("text/html")
    api = client.get("/no-such-path")
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"
