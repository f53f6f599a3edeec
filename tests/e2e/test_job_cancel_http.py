"""Cancelling jobs over HTTP: POST /imports/{id}/cancel and POST /leads/bulk/{id}/cancel stop a
job, answer the same when repeated, refuse a finished job with 409 ``job-over``, and answer 404
for an unknown id or another user's job (and a malformed id is a 422)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.auth import Role
from infra.runtime import Engine
from tests.conftest import wait_for
from tests.e2e.auth import bearer
from tests.e2e.test_import_http import settled, upload
from tests.integration.test_import import good_row, template_file


@pytest.fixture
def api(engine: Engine) -> Iterator[TestClient]:
    with TestClient(engine.app(), headers=bearer(engine)) as client:
        yield client


def test_a_planned_import_is_cancelled_once_and_then_answers_the_same(api: TestClient, tmp_path: Path) -> None:
    job = upload(api, template_file(tmp_path / "a.csv", [good_row(1), good_row(2)]))
    settled(api, job["import_id"], "planned")
    first = api.post(f"/imports/{job['import_id']}/cancel")
    assert first.status_code == 200, first.text
    assert (first.json()["state"], first.json()["results"]) == ("cancelled", {"not_run": 2})
    again = api.post(f"/imports/{job['import_id']}/cancel")
    assert again.status_code == 200 and again.json()["results"] == first.json()["results"]
    confirm = api.post(f"/imports/{job['import_id']}/confirm")
    assert confirm.status_code == 422 and "cancelled" in confirm.json()["detail"]


def test_a_finished_import_refuses_to_be_cancelled(api: TestClient, tmp_path: Path) -> None:
    job = upload(api, template_file(tmp_path / "a.csv", [good_row(1)]))
    settled(api, job["import_id"], "planned")
    api.post(f"/imports/{job['import_id']}/confirm")
    settled(api, job["import_id"], "finished")
    refused = api.post(f"/imports/{job['import_id']}/cancel")
    assert refused.status_code == 409, refused.text
    assert refused.json()["type"].endswith("job-over") and "finished" in refused.json()["detail"]
    assert api.get(f"/imports/{job['import_id']}").json()["results"] == {"created": 1}


def test_an_unknown_malformed_or_foreign_job_cannot_be_cancelled(
    api: TestClient, engine: Engine, tmp_path: Path
) -> None:
    for path in ("/imports/{}/cancel", "/leads/bulk/{}/cancel"):
        assert api.post(path.format(uuid.uuid4())).status_code == 404
        assert api.post(path.format("not-a-uuid")).status_code in (404, 422)
        assert api.post(path.format("%00%F0%9F%98%80")).status_code in (400, 404, 422)
    rep, other = bearer(engine, "rep-1", Role.REP), bearer(engine, "rep-2", Role.REP)
    job = upload(api, template_file(tmp_path / "a.csv", [good_row(1)]))
    mine = api.post("/imports", files={"file": ("b.csv", b"Name,Email\nAnn,ann@example.com\n")}, headers=rep)
    settled(api, mine.json()["import_id"], "planned")
    assert api.post(f"/imports/{mine.json()['import_id']}/cancel", headers=other).status_code == 404
    assert api.get(f"/imports/{mine.json()['import_id']}").json()["state"] == "planned", "untouched"
    assert api.post(f"/leads/bulk/{job['import_id']}/cancel").status_code == 404, "an import is no mass action"
    auditor = bearer(engine, "aud-1", Role.AUDITOR)
    assert api.post(f"/imports/{job['import_id']}/cancel", headers=auditor).status_code == 403


def test_a_finished_mass_action_refuses_to_be_cancelled_and_an_import_id_is_not_one(api: TestClient) -> None:
    lead = api.post("/leads", json={"contact_name": "Ann", "email": "ann@example.com"}).json()["lead_id"]
    started = api.post("/leads/bulk", json={"action": "add_tags", "tags": ["x"], "lead_ids": [lead]})
    assert started.status_code == 202, started.text
    job_id = started.json()["job_id"]
    wait_for(lambda: api.get(f"/leads/bulk/{job_id}").json()["state"] == "finished", what="the mass action")
    refused = api.post(f"/leads/bulk/{job_id}/cancel")
    assert refused.status_code == 409 and refused.json()["type"].endswith("job-over"), refused.text
    assert api.post(f"/imports/{job_id}/cancel").status_code == 404
