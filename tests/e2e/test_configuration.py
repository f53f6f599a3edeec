"""Settings reach the domain through the composition root, and only for the engine they open."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from domain import phone_region
from infra.runtime import Engine
from infra.settings import Settings
from tests.e2e.auth import bearer


@pytest.fixture
def us_engine(settings: Settings) -> Iterator[Engine]:
    engine = Engine.open(settings.model_copy(update={"default_phone_region": "US"}))
    yield engine
    engine.close()


def test_a_national_phone_number_is_read_in_the_configured_default_region(us_engine: Engine) -> None:
    assert phone_region.current() == "US"
    with TestClient(us_engine.app(), headers=bearer(us_engine)) as api:
        created = api.post("/leads", json={"contact_name": "Ann", "phone": "6465550123"})
        assert created.status_code == 201, created.text
        lead = api.get(f"/leads/{created.json()['lead_id']}", params={"version": 1}).json()
        assert lead["details"]["phone"] == "+16465550123"
        in_gb = api.post("/leads", json={"contact_name": "Bo", "phone": "6465550123", "address": {"country": "GB"}})
        assert in_gb.status_code == 422 and "in GB" in in_gb.json()["detail"]
