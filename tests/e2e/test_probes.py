"""Probes as operators wire them: ``/livez`` for liveness (restart only a process that does not
answer), ``/readyz`` for readiness (stop sending traffic to one that cannot serve), ``/health``
the full report."""

from __future__ import annotations

from fastapi.testclient import TestClient

from infra.runtime import Engine
from infra.settings import Settings
from projections.lead_list import LeadList
from tests.conftest import wait_for
from tests.integration.helpers import run_in_thread
from tests.integration.test_lead_list_projection import insert_poison


def test_a_halted_projection_makes_readyz_fail_while_livez_stays_up(settings: Settings) -> None:
    engine = Engine.open(settings.model_copy(update={"poison_policy": "halt"}))
    try:
        with TestClient(engine.app()) as client:
            assert client.get("/readyz").json() == {"status": "ready"}
            lead = insert_poison(engine)
            runner = engine.consumer("lead_list")
            engine.workers.append(runner)
            run_in_thread(runner).join(timeout=15)
            assert runner.status.startswith("halted")
            ready = client.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["problems"] == [f"{LeadList.name} has halted"], ready.json()
            assert client.get("/livez").status_code == 200 and client.get("/livez").json() == {"status": "ok"}
            health = client.get("/health")
            assert health.status_code == 503 and health.json()["ready"] is False
            assert str(lead) in health.json()["components"]["consumers"][LeadList.name]["status"]
    finally:
        engine.close()


def test_a_quarantined_event_degrades_health_but_the_engine_stays_ready(engine: Engine) -> None:
    insert_poison(engine)
    runner = engine.consumer("lead_list")
    engine.workers.append(runner)
    run_in_thread(runner)
    with TestClient(engine.app()) as client:
        wait_for(lambda: client.get("/health").status_code == 503, what="the quarantine in /health")
        assert client.get("/readyz").status_code == 200
        assert client.get("/livez").status_code == 200
