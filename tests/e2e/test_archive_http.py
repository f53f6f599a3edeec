"""Archive hides a lead from the default lists until it is unarchived; an admin's soft delete
takes it out of every list and freezes it; both show in its history."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.auth import Role
from infra.runtime import Engine
from tests.e2e.auth import bearer
from tests.e2e.test_read_api import capture, seen


@pytest.fixture
def api(engine: Engine) -> Iterator[TestClient]:
    engine.start_background()
    with TestClient(engine.app(), headers=bearer(engine)) as client:
        yield client


def listed(api: TestClient, **params: str) -> set[str]:
    return {i["lead_id"] for i in api.get("/leads", params=params).json()["items"]}


def test_archive_hides_a_lead_until_unarchived_and_delete_is_for_admins_and_final(
    api: TestClient, engine: Engine
) -> None:
    kept = capture(api, {"contact_name": "Kept", "email": "kept@example.com"})
    old = capture(api, {"contact_name": "Old", "email": "old@example.com"})
    archived = api.post(f"/leads/{old['lead_id']}/archive", json={"reason": "2019 list"})
    assert archived.status_code == 200, archived.text
    seen(api, archived.json()["position"])
    assert listed(api) == {kept["lead_id"]}
    assert listed(api, archived="true") == {old["lead_id"]}
    back = api.post(f"/leads/{old['lead_id']}/unarchive")
    seen(api, back.json()["position"])
    assert listed(api) == {kept["lead_id"], old["lead_id"]}

    manager = bearer(engine, "mgr-1", Role.MANAGER)
    assert api.post(f"/leads/{old['lead_id']}/delete", json={"reason": "test"}, headers=manager).status_code == 403
    assert api.post(f"/leads/{old['lead_id']}/delete", json={"reason": ""}).status_code == 422
    deleted = api.post(f"/leads/{old['lead_id']}/delete", json={"reason": "entered by mistake"})
    assert deleted.status_code == 200, deleted.text
    seen(api, deleted.json()["position"])
    assert listed(api) == {kept["lead_id"]} and listed(api, archived="true") == set()
    again = api.post(f"/leads/{old['lead_id']}/archive", json={})
    assert again.status_code == 409 and again.json()["type"].endswith("lead-deleted")
    types = [e["type"] for e in api.get(f"/leads/{old['lead_id']}/history").json()]
    assert types[-3:] == ["lead.archived.v1", "lead.unarchived.v1", "lead.deleted.v1"]
