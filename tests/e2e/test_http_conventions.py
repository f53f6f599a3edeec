"""The HTTP conventions clients of the engine rely on: RFC 9457 problems on every error (routing
ones too), idempotency keys bound to one request, conditional requests (RFC 9110), and lists
paged by cursor through ``Link`` headers (RFC 8288)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.auth import Role
from infra.runtime import Engine
from tests.conftest import wait_for
from tests.e2e.auth import bearer

PROBLEM = "application/problem+json"


@pytest.fixture
def api(engine: Engine) -> Iterator[TestClient]:
    engine.start_background()
    with TestClient(engine.app(), headers=bearer(engine)) as client:
        yield client


def lead_body() -> dict[str, Any]:
    return {"contact_name": "Ada Lovelace", "email": f"{uuid.uuid4().hex[:12]}@example.com"}


def create(api: TestClient) -> dict[str, Any]:
    response = api.post("/leads", json=lead_body())
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def problem_of(response: httpx.Response, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["type"] == f"urn:leads-engine:problem:{kind}", body
    return body


def test_an_unknown_route_is_a_404_problem(api: TestClient) -> None:
    problem_of(api.get("/no/such/route"), 404, "not-found")


def test_a_method_the_route_does_not_serve_is_a_405_problem_with_allow(api: TestClient) -> None:
    response = api.delete("/leads")
    problem_of(response, 405, "method-not-allowed")
    assert {"GET", "POST"} <= {m.strip() for m in response.headers["allow"].split(",")}


def test_an_idempotency_key_repeated_with_the_same_request_answers_the_first_result(api: TestClient) -> None:
    body = lead_body()
    first = api.post("/leads", json=body, headers={"Idempotency-Key": "same-1"})
    again = api.post("/leads", json=body, headers={"Idempotency-Key": "same-1"})
    assert first.status_code == again.status_code == 201
    assert first.json()["lead_id"] == again.json()["lead_id"]


def test_an_idempotency_key_reused_with_another_body_is_a_422_problem(api: TestClient) -> None:
    key = {"Idempotency-Key": "capture-7"}
    assert api.post("/leads", json=lead_body(), headers=key).status_code == 201
    refused = problem_of(api.post("/leads", json=lead_body(), headers=key), 422, "idempotency-key-reused")
    assert refused["field"] == "Idempotency-Key"


def test_an_idempotency_key_reused_on_another_lead_or_command_body_is_a_422(api: TestClient) -> None:
    lead = create(api)["lead_id"]
    key = {"Idempotency-Key": "assign-1"}
    assert api.post(f"/leads/{lead}/assign", json={"owner": "rep-1"}, headers=key).status_code == 200
    assert api.post(f"/leads/{lead}/assign", json={"owner": "rep-1"}, headers=key).status_code == 200
    problem_of(api.post(f"/leads/{lead}/assign", json={"owner": "rep-2"}, headers=key), 422, "idempotency-key-reused")
    assert api.get(f"/leads/{lead}", params={"version": 2}).json()["owner"] == "rep-1"


def test_get_of_a_lead_sends_its_version_as_a_strong_etag(api: TestClient) -> None:
    created = create(api)
    lead = api.get(f"/leads/{created['lead_id']}", params={"after": created["position"]})
    assert lead.status_code == 200 and lead.headers["etag"] == '"1"'
    replayed = api.get(f"/leads/{created['lead_id']}", params={"version": 1})
    assert replayed.headers["etag"] == '"1"'
    assert api.get(f"/leads/{created['lead_id']}/history").headers["etag"] == '"1"'


def test_if_none_match_naming_the_current_version_is_a_304(api: TestClient) -> None:
    created = create(api)
    url, after = f"/leads/{created['lead_id']}", {"after": created["position"]}
    for held in ('"1"', 'W/"1"', '"7", "1"', "*"):
        unchanged = api.get(url, params=after, headers={"If-None-Match": held})
        assert unchanged.status_code == 304 and unchanged.headers["etag"] == '"1"' and not unchanged.content
    changed = api.post(f"{url}/notes", json={"text": "called back"})
    fresh = api.get(url, params={"after": changed.json()["position"]}, headers={"If-None-Match": '"1"'})
    assert fresh.status_code == 200 and fresh.headers["etag"] == '"2"' and fresh.json()["version"] == 2


def test_a_stale_if_match_is_a_412_problem_and_changes_nothing(api: TestClient) -> None:
    lead = create(api)["lead_id"]
    assert api.post(f"/leads/{lead}/assign", json={"owner": "rep-1"}, headers={"If-Match": '"1"'}).status_code == 200
    stale = api.post(f"/leads/{lead}/assign", json={"owner": "rep-2"}, headers={"If-Match": '"1"'})
    problem_of(stale, 412, "precondition-failed")
    assert api.get(f"/leads/{lead}/history").headers["etag"] == '"2"'


def test_a_weak_if_match_never_matches_even_the_current_version(api: TestClient) -> None:
    lead = create(api)["lead_id"]
    weak = api.post(f"/leads/{lead}/assign", json={"owner": "rep-1"}, headers={"If-Match": 'W/"1"'})
    assert "weak" in problem_of(weak, 412, "precondition-failed")["detail"]
    assert api.post(f"/leads/{lead}/assign", json={"owner": "rep-1"}, headers={"If-Match": "*"}).status_code == 200


def follow_pages(api: TestClient, url: str, **params: Any) -> list[list[dict[str, Any]]]:
    """Every page of a list, following ``Link: rel="next"`` until there is none."""
    pages = []
    response = api.get(url, params=params)
    while True:
        assert response.status_code == 200, response.text
        pages.append(response.json())
        link = response.links.get("next")
        if link is None:
            return pages
        response = api.get(link["url"])


def test_the_lead_feed_pages_by_cursor_without_repeating_or_skipping(api: TestClient) -> None:
    created = create(api)
    lead = created["lead_id"]
    last = created
    for n in range(6):
        last = api.post(f"/leads/{lead}/notes", json={"text": f"note {n}"}).json()
    wait_for(lambda: len(api.get(f"/leads/{lead}/feed").json()) == 7, what="the whole feed")
    pages = follow_pages(api, f"/leads/{lead}/feed", limit=3)
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [i["version"] for p in pages for i in p] == list(range(last["version"], 0, -1))


def test_the_inbox_and_home_feed_page_by_cursor(api: TestClient, engine: Engine) -> None:
    lead = create(api)["lead_id"]
    api.post(f"/leads/{lead}/assign", json={"owner": "rep-9"})
    for n in range(4):
        api.post(f"/leads/{lead}/notes", json={"text": f"note {n}"})
    rep = bearer(engine, "rep-9", Role.REP)
    whole = wait_for(
        lambda: (r := api.get("/notifications", headers=rep).json()) and len(r) == 5 and r, what="5 notifications"
    )
    api.headers.update(rep)
    inbox = follow_pages(api, "/notifications", limit=2)
    assert [len(p) for p in inbox] == [2, 2, 1]
    assert [n["notification_id"] for p in inbox for n in p] == [n["notification_id"] for n in whole]
    home = follow_pages(api, "/feed", limit=4)
    assert [i["version"] for p in home for i in p] == [6, 5, 4, 3, 2]


def test_a_cursor_from_another_list_or_edited_is_a_422_naming_it(api: TestClient) -> None:
    created = create(api)
    lead = created["lead_id"]
    api.post(f"/leads/{lead}/notes", json={"text": "one"})
    wait_for(lambda: len(api.get(f"/leads/{lead}/feed").json()) == 2, what="the feed")
    cursor = api.get(f"/leads/{lead}/feed", params={"limit": 1}).links["next"]["url"].split("cursor=")[1]
    assert problem_of(api.get("/feed", params={"cursor": cursor}), 422, "invalid-command")["field"] == "cursor"
    assert problem_of(api.get("/notifications", params={"cursor": "bm90LWpzb24"}), 422, "invalid-command")


def test_an_upload_retried_with_its_key_is_one_attachment_whatever_the_multipart_boundary(api: TestClient) -> None:
    """A client rebuilding an upload for a retry sends a new random boundary: same file, same key."""
    lead = create(api)["lead_id"]
    key = {"Idempotency-Key": "upload-1"}
    first = api.post(f"/leads/{lead}/attachments", files={"file": ("a.txt", b"hello")}, headers=key)
    again = api.post(f"/leads/{lead}/attachments", files={"file": ("a.txt", b"hello")}, headers=key)
    assert first.status_code == again.status_code, (first.text, again.text)
    assert first.json()["version"] == again.json()["version"] == 2
