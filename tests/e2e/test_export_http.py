"""Exports of lead lists: the list asked for, as CSV or XLSX, only the caller's leads, erased
fields erased, formulas neutralised, every export recorded; and an exported list imported back
as "update existing" changes nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.auth import Role
from infra.runtime import Engine
from tests.e2e.auth import bearer, ensure_user
from tests.e2e.test_import_http import settled
from tests.e2e.test_read_api import capture, seen


@pytest.fixture
def api(engine: Engine) -> Iterator[TestClient]:
    engine.start_background()
    with TestClient(engine.app(), headers=bearer(engine)) as client:
        yield client


def exported(api: TestClient, **params: Any) -> tuple[list[dict[str, str]], str]:
    response = api.get("/leads/export", params=params)
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.text))), response.headers["X-Export-Id"]


def some_leads(api: TestClient) -> list[dict[str, Any]]:
    bodies = [
        {
            "contact_name": f"Person {i}",
            "email": f"p{i}@example.com",
            "phone": f"+44 20 7946 09{i:02d}",
            "company": '=HYPERLINK("http://evil")' if i == 0 else f"Company {i}",
            "source": "website",
            "priority": "high",
            "tags": ["a"],
            "address": {"country": "GB" if i < 4 else "DE", "region": "England" if i < 4 else None},
        }
        for i in range(6)
    ]
    created = [capture(api, b) for b in bodies]
    seen(api, max(c["position"] for c in created))
    return created


def test_an_export_is_the_list_asked_for_neutralised_and_recorded(api: TestClient, engine: Engine) -> None:
    some_leads(api)
    rows, export_id = exported(
        api, country="GB", sort="contact_name", order="asc", columns="contact_name,company,phone"
    )
    assert [r["Full name"] for r in rows] == ["Person 0", "Person 1", "Person 2", "Person 3"]
    assert list(rows[0]) == ["Full name", "Company", "Phone"]
    assert rows[0]["Company"] == '\'=HYPERLINK("http://evil")' and rows[0]["Phone"].startswith("'+44")
    record = engine.service.export_record(UUID(export_id))
    assert record.rows == 4
    xlsx = api.get("/leads/export", params={"format": "xlsx", "country": "DE"})
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    assert api.get("/leads/export", params={"columns": "contact_name,password"}).status_code == 422


def test_exports_hold_only_the_callers_leads_and_erased_fields_stay_erased(api: TestClient, engine: Engine) -> None:
    created = some_leads(api)
    erased = api.post(f"/leads/{created[1]['lead_id']}/erase", json={"request": "gdpr-1"})
    assert erased.status_code == 200, erased.text
    seen(api, erased.json()["position"])
    rows, _ = exported(api, country="GB")
    gone = next(r for r in rows if r["Lead id"] == created[1]["lead_id"])
    assert gone["Full name"] == "[erased]" and gone["Email"] == "" and gone["Phone"] == ""
    manager = bearer(engine, "mgr-1", Role.MANAGER, team=["rep-9"])
    ensure_user(engine, "rep-x")
    moved = api.post(f"/leads/{created[2]['lead_id']}/assign", json={"owner": "rep-x"})
    assert moved.status_code == 200, moved.text
    seen(api, moved.json()["position"])
    mine = api.get("/leads/export", headers=manager)
    ids = {r["Lead id"] for r in csv.DictReader(io.StringIO(mine.text))}
    assert ids == {c["lead_id"] for c in created} - {created[2]["lead_id"]}, "not a lead of someone outside the team"
    assert api.get("/leads/export", headers=bearer(engine, "rep-9", Role.REP)).status_code == 403


def test_an_exported_list_imported_back_as_update_changes_nothing(api: TestClient, engine: Engine) -> None:
    created = some_leads(api)
    before = {c["lead_id"]: engine.service.get_lead(UUID(c["lead_id"])).version for c in created}
    response = api.get("/leads/export", params={"country": "GB"})
    job = api.post(
        "/imports", files={"file": ("export.csv", response.content, "text/csv")}, data={"policy": "update"}
    ).json()
    planned = settled(api, job["import_id"], "planned")
    assert planned["counts"] == {"unchanged": 4}, planned
    api.post(f"/imports/{job['import_id']}/confirm")
    assert settled(api, job["import_id"], "finished")["results"] == {"unchanged": 4}
    after = {c["lead_id"]: engine.service.get_lead(UUID(c["lead_id"])).version for c in created}
    assert after == before
