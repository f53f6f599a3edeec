"""Imports over HTTP as jobs: upload (dry run), watch, confirm, download the rejected rows;
refused files answer with the reason; a job is its starter's."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.auth import Role
from infra.runtime import Engine
from tests.conftest import wait_for
from tests.e2e.auth import bearer
from tests.integration.test_import import template_file, twenty_rows_three_bad


@pytest.fixture
def api(engine: Engine) -> Iterator[TestClient]:
    with TestClient(engine.app(), headers=bearer(engine)) as client:
        yield client


def upload(api: TestClient, path: Path, **form: str) -> dict[str, Any]:
    with path.open("rb") as f:
        response = api.post("/imports", files={"file": (path.name, f, "text/csv")}, data=form)
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    return body


def settled(api: TestClient, import_id: str, state: str, **params: Any) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        job: dict[str, Any] = api.get(f"/imports/{import_id}", params=params).json()
        return job if job["state"] == state else None

    return wait_for(reached, timeout=60, what=f"import {import_id} {state}")


def test_upload_watch_confirm_and_download_the_rejected_rows(api: TestClient, tmp_path: Path) -> None:
    template = api.get("/imports/template")
    assert template.status_code == 200 and template.text.startswith("Full name,First name,Last name,Email")
    path = template_file(tmp_path / "leads.csv", twenty_rows_three_bad())
    job = upload(api, path)
    planned = settled(api, job["import_id"], "planned", outcome="rejected")
    assert planned["counts"] == {"create": 17, "rejected": 3}
    assert [(r["line"], r["field"]) for r in planned["rows"]] == [(6, "email"), (11, "contact_name"), (16, "priority")]

    confirmed = api.post(f"/imports/{job['import_id']}/confirm")
    assert confirmed.status_code == 202, confirmed.text
    finished = settled(api, job["import_id"], "finished")
    assert finished["results"] == {"created": 17, "rejected": 3} and finished["rate"] > 0
    assert api.post(f"/imports/{job['import_id']}/confirm").status_code == 422, "a finished import is not run twice"

    rejected = api.get(f"/imports/{job['import_id']}/rejected.csv")
    rows = list(csv.DictReader(io.StringIO(rejected.text)))
    assert [(r["line"], r["reason"].split(":")[0]) for r in rows] == [
        ("6", "email"),
        ("11", "contact_name"),
        ("16", "priority"),
    ]
    assert rows[0]["Email"] == "not-an-email", "the row as it was, ready to fix"

    again = upload(api, path)
    assert settled(api, again["import_id"], "planned")["counts"] == {"imported_before": 17, "rejected": 3}


def test_a_file_that_is_not_csv_or_xlsx_is_refused_with_the_reason(api: TestClient, tmp_path: Path) -> None:
    pdf = tmp_path / "scan.csv"
    pdf.write_bytes(b"%PDF-1.7\n...")
    response = api.post("/imports", files={"file": ("scan.csv", pdf.read_bytes(), "text/csv")})
    assert response.status_code == 422 and "PDF" in response.json()["detail"]
    bad_mapping = api.post(
        "/imports", files={"file": ("a.csv", b"Name,Email\nA,a@example.com\n")}, data={"mapping": '{"Name": "x"}'}
    )
    assert bad_mapping.status_code == 422 and "unknown field" in bad_mapping.json()["detail"]


def test_a_job_is_seen_by_its_starter_and_by_those_who_see_every_lead(
    api: TestClient, engine: Engine, tmp_path: Path
) -> None:
    rep = bearer(engine, "rep-1", Role.REP)
    other = bearer(engine, "rep-2", Role.REP)
    with (tmp_path / "a.csv").open("wb") as f:
        f.write(b"Name,Email\nAnn,ann@example.com\n")
    response = api.post("/imports", files={"file": ("a.csv", (tmp_path / "a.csv").read_bytes())}, headers=rep)
    import_id = response.json()["import_id"]
    assert api.get(f"/imports/{import_id}", headers=rep).status_code == 200
    assert api.get(f"/imports/{import_id}", headers=other).status_code == 404
    assert api.get(f"/imports/{import_id}").status_code == 200
    auditor = bearer(engine, "aud-1", Role.AUDITOR)
    assert api.post("/imports", files={"file": ("a.csv", b"Name,Email\n")}, headers=auditor).status_code == 403


def test_a_saved_mapping_maps_files_of_its_shape(api: TestClient) -> None:
    assert (
        api.put("/imports/mappings/crm-export", json={"mapping": {"Who": "contact_name", "Addr": "email"}}).status_code
        == 204
    )
    job = api.post(
        "/imports", files={"file": ("x.csv", b"Who,Addr\nAnn,ann@example.com\n")}, data={"saved_mapping": "crm-export"}
    ).json()
    assert settled(api, job["import_id"], "planned")["counts"] == {"create": 1}


def test_a_column_of_address_parts_is_split_and_a_cell_of_another_shape_is_rejected(
    api: TestClient, engine: Engine
) -> None:
    file = b'Name,Email,Address\nAda,ada@example.com,"12 Main St, Springfield, 12345, US"\nBo,bo@example.com,Paris\n'
    declared = {"Address": "address[street, city, postal_code, country]"}
    job = api.post("/imports", files={"file": ("a.csv", file)}, data={"mapping": json.dumps(declared)}).json()
    planned = settled(api, job["import_id"], "planned", outcome="rejected")
    assert planned["counts"] == {"create": 1, "rejected": 1} and planned["mapping"]["Address"] == declared["Address"]
    [row] = planned["rows"]
    assert (row["line"], row["field"]) == (3, "address") and "declares 4" in row["reason"], row

    assert api.post(f"/imports/{job['import_id']}/confirm").status_code == 202
    [created] = settled(api, job["import_id"], "finished", outcome="created")["rows"]
    address = engine.service.get_lead(UUID(created["result"]["lead_id"])).details.address
    assert address is not None and address.model_dump() == {
        "street": "12 Main St",
        "city": "Springfield",
        "region": None,
        "postal_code": "12345",
        "country": "US",
    }
    bad = api.post("/imports", files={"file": ("a.csv", file)}, data={"mapping": '{"Address": "address[street]"}'})
    assert bad.status_code == 422 and "at least two address parts" in bad.text, bad.text


def test_an_upload_over_the_import_limit_is_a_413_naming_it(api: TestClient) -> None:
    from domain import limits

    limits.configure(limits.Limits(import_bytes=2048))
    big = b"Name,Email\n" + b"Ann,ann@example.com\n" * 2000
    response = api.post("/imports", files={"file": ("big.csv", big, "text/csv")})
    assert response.status_code == 413 and "2048" in response.json()["detail"]
    assert api.post("/imports", files={"file": ("x.csv", b"")}).status_code == 422
    assert api.post("/imports", files={"file": ("x.csv", b"Name\nA\n")}, data={"mapping": "[1]"}).status_code == 422
    assert (
        api.post("/imports", files={"file": ("x.csv", b"Name\nA\n")}, data={"policy": "obliterate"}).status_code == 422
    )


def test_a_mass_action_over_the_selection_limit_is_refused_naming_it(api: TestClient) -> None:
    from uuid import uuid4

    from domain import limits

    limits.configure(limits.Limits(bulk_items=3))
    ids = [str(uuid4()) for _ in range(4)]
    response = api.post("/leads/bulk", json={"action": "follow", "lead_ids": ids})
    assert response.status_code == 422 and "bulk_items" in response.json()["detail"]
    assert api.post("/leads/bulk", json={"action": "follow", "lead_ids": ["not-a-uuid"]}).status_code == 422
    unknown = api.post("/leads/bulk", json={"action": "follow", "lead_ids": ids[:2]}).json()
    job = wait_for(
        lambda: (j := api.get(f"/leads/bulk/{unknown['job_id']}").json())["state"] == "finished" and j,
        what="the job",
    )
    assert job["results"] == {"refused": 2}, "a lead that does not exist is refused, not a failure"
