"""A reviewer checks the audit export offline, with the key and the few lines of Python that
docs/audit.md publishes: run here exactly as published, on a real export."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from api.auth import Role
from domain.contract.chain import ALGORITHM
from infra.runtime import Engine
from tests.e2e.auth import bearer
from tests.e2e.test_customer_master import GRACE, converted, ok
from tests.e2e.test_read_api import seen

DOC = Path(__file__).resolve().parents[2] / "docs" / "audit.md"


@pytest.fixture
def api(engine: Engine) -> Iterator[TestClient]:
    with TestClient(engine.app(), headers=bearer(engine)) as client:
        yield client


def published_verifier() -> Callable[[Path, bytes], str | None]:
    """The docs' Python block, as a reviewer would paste it."""
    (code,) = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    scope: dict[str, Any] = {}
    exec(code, scope)
    verifier: Callable[[Path, bytes], str | None] = scope["verify_export"]
    return verifier


def exported(api: TestClient, tmp_path: Path, **params: str) -> tuple[Path, list[dict[str, Any]]]:
    response = api.get("/audit/export", params=params)
    assert response.status_code == 200 and response.headers["x-chain-algorithm"] == ALGORITHM
    path = tmp_path / "export.jsonl"
    path.write_bytes(response.content)
    return path, [orjson.loads(line) for line in response.content.splitlines()]


def rewrite(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    return path


def some_history(api: TestClient) -> list[str]:
    leads = []
    for i in range(3):
        body = {"contact_name": f"Reviewer {i}", "email": f"r{i}@example.com", "company": "Acme"}
        lead = api.post("/leads", json=body, headers={"Idempotency-Key": f"k-{i}"}).json()["lead_id"]
        assert api.post(f"/leads/{lead}/contact", json={"via": "call"}).status_code == 200
        assert api.post(f"/leads/{lead}/notes", json={"text": f"note {i}"}).status_code == 200
        leads.append(lead)
    assert api.post(f"/leads/{leads[0]}/erase", json={"request": "DSR-1"}).status_code == 200
    return leads


def test_a_whole_export_verifies_offline_with_the_published_snippet_erased_lead_included(
    api: TestClient, engine: Engine, tmp_path: Path
) -> None:
    leads = some_history(api)
    path, lines = exported(api, tmp_path)
    assert {line["lead_id"] for line in lines} >= set(leads)
    assert all(line["chain"]["algorithm"] == ALGORITHM for line in lines)
    assert published_verifier()(path, engine.settings.audit_chain_key()) is None


def test_the_stored_bytes_are_the_event_with_its_personal_fields_sealed(api: TestClient, tmp_path: Path) -> None:
    lead = some_history(api)[1]
    _, lines = exported(api, tmp_path)
    first = next(line for line in lines if line["lead_id"] == lead and line["version"] == 1)
    stored = orjson.loads(base64.b64decode(first["chain"]["stored"]))
    assert b"r1@example.com" not in base64.b64decode(first["chain"]["stored"])
    assert stored["details"]["company"] == first["payload"]["details"]["company"] == "Acme"


def test_the_published_snippet_catches_an_edited_or_missing_line(
    api: TestClient, engine: Engine, tmp_path: Path
) -> None:
    lead = some_history(api)[2]
    key = engine.settings.audit_chain_key()
    verify = published_verifier()
    path, lines = exported(api, tmp_path)
    edited = [dict(line) for line in lines]
    target = next(i for i, line in enumerate(edited) if line["lead_id"] == lead and line["version"] == 2)
    stored = base64.b64decode(edited[target]["chain"]["stored"]).replace(b"call", b"mail")
    edited[target] = edited[target] | {"chain": edited[target]["chain"] | {"stored": base64.b64encode(stored).decode()}}
    assert "the link does not hold" in str(verify(rewrite(path, edited), key))
    missing = lines[:target] + lines[target + 1 :]
    assert "does not follow version 1" in str(verify(rewrite(path, missing), key))
    assert verify(rewrite(path, lines), b"another key") is not None


def test_an_export_over_a_time_window_verifies_from_its_first_link(
    api: TestClient, engine: Engine, tmp_path: Path
) -> None:
    some_history(api)
    _, lines = exported(api, tmp_path)
    middle = sorted(line["time"] for line in lines)[len(lines) // 2]
    path, window = exported(api, tmp_path, since=middle)
    assert 0 < len(window) < len(lines)
    assert published_verifier()(path, engine.settings.audit_chain_key()) is None


def test_the_export_holds_the_customer_masters_events_chained_and_scoped_like_leads(
    engine: Engine, tmp_path: Path
) -> None:
    """A conversion's account, contact and opportunity (and the work on them) are exported with
    their links and verify offline; a manager exports the records their team worked on only."""
    engine.start_background()
    with (
        TestClient(engine.app(), headers=bearer(engine, "rep-a", Role.REP)) as rep_a,
        TestClient(engine.app(), headers=bearer(engine, "rep-b", Role.REP)) as rep_b,
        TestClient(engine.app(), headers=bearer(engine)) as admin,
    ):
        ours = converted(rep_a, GRACE)
        theirs = converted(rep_b, {"contact_name": "Alan Turing", "email": "alan@bletchley.example", "company": "GCHQ"})
        task = {"subject": "Kick-off", "assignee": "rep-a", "due_at": "2030-01-01T09:00:00Z"}
        seen(admin, ok(rep_a.post(f"/accounts/{ours['account_id']}/tasks", json=task))["position"])
        path, lines = exported(admin, tmp_path)
        records = {(line["record"], line["lead_id"]) for line in lines}
        assert {("account", ours["account_id"]), ("contact", ours["contact_id"])} <= records
        assert ("opportunity", theirs["opportunity_id"]) in records
        assert "account.task_scheduled.v1" in {line["type"] for line in lines}
        assert published_verifier()(path, engine.settings.audit_chain_key()) is None
    with TestClient(engine.app(), headers=bearer(engine, "boss-a", Role.MANAGER, team=["rep-a"])) as boss:
        _, team_lines = exported(boss, tmp_path)
    team = {line["lead_id"] for line in team_lines}
    assert {ours["lead_id"], ours["account_id"], ours["contact_id"], ours["opportunity_id"]} <= team
    assert not {theirs["lead_id"], theirs["account_id"], theirs["opportunity_id"]} & team
