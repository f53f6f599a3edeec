"""Hostile input through the console's import wizard, mass actions, dead-letter actions, merge
screen and task forms: malformed, huge, NUL and non-BMP values, unknown ids and out-of-range
choices are refused with a 4xx page or fragment naming the reason, never a 500."""

from __future__ import annotations

import re
import uuid

from fastapi.testclient import TestClient

from domain import limits
from tests.conftest import wait_for
from tests.e2e.console.test_console_hostile import signed_in

__all__ = ["signed_in"]
CSV = "text/csv"


def upload(client: TestClient, csrf: str, content: bytes, **fields: str | list[str]) -> tuple[int, str]:
    files = {"file": ("people.csv", content, CSV)} if content is not None else None
    response = client.post(
        "/ui/imports/dry-run", data={"csrf": csrf, **fields}, files=files, headers={"HX-Request": "true"}
    )
    return response.status_code, response.text


def test_hostile_files_and_mappings_in_the_import_wizard_are_refused_naming_the_reason(
    signed_in: tuple[TestClient, str, str],
) -> None:
    client, csrf, _ = signed_in
    good = b"Name,Email\nAda,ada@example.com\n"
    cases: list[tuple[bytes, dict[str, str | list[str]], str]] = [
        (b"", {}, "empty"),
        (b"\x00\xff\xfe\x00garbage" * 50, {}, ""),
        (b"Col\x00umn,Other\nx,y\n", {}, ""),
        (good, {"map_header": ["Name", "Email"], "map_field": ["contact_name", "nonsense"]}, "unknown field"),
        (good, {"map_header": ["Name", "Email"], "map_field": ["email", "email"]}, "both map to email"),
        (good, {"map_header": ["Name"], "map_field": ["x" * 5000]}, "unknown field"),
        (good, {"policy": "obliterate"}, "policy"),
        (b"Company\nEngines\n", {}, "maps to the contact"),
    ]
    for content, fields, reason in cases:
        status, text = upload(client, csrf, content, **fields)
        assert 400 <= status < 500, (content[:40], fields, status, text[:300])
        assert reason in text, (reason, text[:300])
    status, text = upload(client, csrf, "\U0001f600 Name,Email \U0001f4e7\nZoë \U0001f600,zoe@example.com\n".encode())
    job = re.search(r'data-import-id="([^"]+)"', text)
    assert status == 200 and job, text[:300]

    def planned_panel() -> str:
        panel = client.get(f"/ui/imports/{job.group(1)}/panel").text
        return panel if 'data-state="planned"' in panel else ""

    planned = wait_for(planned_panel, what="the dry run")
    assert "\U0001f600 Name" in planned and "create: 1" in planned, planned
    limits.configure(limits.Limits(import_bytes=1024))
    status, text = upload(client, csrf, good + b"x" * 5000)
    assert status == 413 and "import" in text, (status, text[:300])


def test_unknown_ids_and_malformed_actions_are_refused_never_a_server_error(
    signed_in: tuple[TestClient, str, str],
) -> None:
    client, csrf, lead = signed_in
    ghost = str(uuid.uuid4())
    gets = [
        (f"/ui/imports/{ghost}", 404),
        (f"/ui/imports/{ghost}/panel", 404),
        (f"/ui/imports/{ghost}/rejected.csv", 404),
        (f"/ui/bulk/{ghost}", 404),
        (f"/ui/leads/{lead}/merge?duplicate={ghost}", 404),
        (f"/ui/leads/{lead}/merge?duplicate=not-a-uuid", 422),
        ("/ui/kanban?status=nonsense", 422),
        ("/ui/kanban?min_score=900", 422),
    ]
    for url, status in gets:
        response = client.get(url)
        assert response.status_code == status, (url, response.status_code, response.text[:300])
    posts = [
        (f"/ui/imports/{ghost}/confirm", {}, 404),
        ("/ui/leads/bulk", {"action": "explode", "lead_ids": lead}, 422),
        ("/ui/leads/bulk", {"action": "follow"}, 422),  # nothing ticked
        ("/ui/leads/bulk", {"action": "follow", "which": "all"}, 422),
        ("/ui/leads/bulk", {"action": "follow", "which": "everything"}, 422),
        ("/ui/leads/bulk", {"action": "follow", "lead_ids": "not-a-uuid"}, 422),
        ("/ui/leads/bulk", {"action": "add_tags", "lead_ids": lead, "tags": " , "}, 422),
        ("/ui/leads/bulk", {"action": "add_tags", "lead_ids": lead, "tags": "t" * 3000}, 422),
        ("/ui/leads/bulk", {"action": "disqualify", "lead_ids": lead, "reason": "\x00"}, 422),
        ("/ui/dead-letters/0:1/replay", {"reason": "fixed"}, 404),  # embedded mode: no DLQ
        ("/ui/dead-letters/not-a-record/discard", {"reason": "x"}, 422),
        ("/ui/dead-letters/0:1/explode", {"reason": "x"}, 404),
        (f"/ui/leads/{lead}/complete_task", {"task_id": "not-a-uuid"}, 422),
        (f"/ui/leads/{lead}/complete_task", {"task_id": ghost}, 422),
        (f"/ui/leads/{lead}/task", {"subject": "x", "assignee": "a", "due_at": "tomorrow"}, 422),
        (f"/ui/leads/{lead}/merge", {"duplicate_id": ghost}, 404),
        (f"/ui/leads/{lead}/merge", {"duplicate_id": lead}, 422),  # into itself
        (f"/ui/leads/{lead}/merge_into_contact", {"contact_id": ghost}, 422),
    ]
    for url, body, status in posts:
        response = client.post(url, data={"csrf": csrf, **body})
        assert response.status_code == status, (url, body, response.status_code, response.text[:300])


HOSTILE = [
    "",
    "\x00",
    "x" * 100_000,
    "\U0001f600" * 300,
    "-1",
    "9" * 40,
    "2027-13-45T99:99",
    "<script>alert(1)</script>",
]


def test_hostile_values_in_the_task_and_duplicate_forms_are_refused_or_kept_never_a_server_error(
    signed_in: tuple[TestClient, str, str],
) -> None:
    client, csrf, lead = signed_in
    forms = [("task", "subject"), ("task", "assignee"), ("task", "due_at"), ("complete_task", "task_id")]
    forms += [("not_duplicate", "of_id"), ("merge", "duplicate_id"), ("merge_into_contact", "contact_id")]
    for form, field in forms:
        for value in HOSTILE:
            body = {"csrf": csrf, "subject": "Call back", "assignee": "admin-1", "due_at": "2027-01-01T09:00"}
            response = client.post(f"/ui/leads/{lead}/{form}", data=body | {field: value})
            assert response.status_code in (303, 400, 404, 409, 413, 422), (
                form,
                field,
                value[:20],
                response.status_code,
            )
