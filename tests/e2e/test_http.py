"""Through HTTP: a lead created by POST /leads is listed by GET /leads, in both modes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from kafka import KafkaConsumer

from infra.runtime import Engine
from infra.settings import Settings
from tests.conftest import wait_for
from tests.e2e.auth import bearer

ADA = {"contact_name": "Ada Lovelace", "email": "ada@example.com", "phone": "+44 20 7946 0958", "source": "web_form"}
NOT_A_DUPLICATE = {"on_duplicate": "create"}


def serve(engine: Engine) -> Iterator[TestClient]:
    engine.start_background()
    with TestClient(engine.app(), headers=bearer(engine)) as client:
        yield client


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    yield from serve(engine)


@pytest.fixture
def kafka_client(kafka_engine: Engine) -> Iterator[TestClient]:
    yield from serve(kafka_engine)


def listed(client: TestClient, lead_id: str) -> dict[str, Any] | None:
    items = client.get("/leads").json()["items"]
    return next((i for i in items if i["lead_id"] == lead_id), None)


def test_a_created_lead_is_listed_with_normalised_contact_details(client: TestClient) -> None:
    created = client.post("/leads", json=ADA)
    assert created.status_code == 201
    lead_id = created.json()["lead_id"]
    row = wait_for(lambda: listed(client, lead_id), what="the lead in GET /leads")
    assert (row["contact_name"], row["phone"], row["status"], row["source"]) == (
        "Ada Lovelace",
        "+442079460958",
        "new",
        "web_form",
    )
    assert client.get(f"/leads/{lead_id}").json()["details"]["email"] == "ada@example.com"


def test_in_kafka_mode_the_lead_travels_through_the_topic_to_the_list(
    kafka_client: TestClient, kafka_engine: Engine
) -> None:
    lead_id = kafka_client.post("/leads", json=ADA).json()["lead_id"]
    wait_for(lambda: listed(kafka_client, lead_id), what="the lead in GET /leads")
    s = kafka_engine.settings
    consumer = KafkaConsumer(
        s.events_topic,
        bootstrap_servers=s.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        consumer_timeout_ms=200,
    )
    records: list[Any] = []
    wait_for(lambda: records.extend(consumer) or records, what="the event on the Kafka topic")
    consumer.close()
    assert records[0].key == lead_id.encode()
    assert dict(records[0].headers)["ce_type"] == b"org.leads-engine.lead.captured.v1"
    # The relay records its position only after Kafka acknowledged the batch: the event can be
    # read from the topic a moment before the relay's lag shows it.
    health = wait_for(
        lambda: (h := kafka_client.get("/health").json())["components"]["consumers"]["relay"]["lag"] == 0 and h,
        what="the relay's lag to reach 0",
    )
    assert health["status"] == "ok"


def test_the_same_idempotency_key_creates_one_lead(client: TestClient) -> None:
    first = client.post("/leads", json=ADA, headers={"Idempotency-Key": "form-1"}).json()
    second = client.post("/leads", json=ADA, headers={"Idempotency-Key": "form-1"}).json()
    assert second["lead_id"] == first["lead_id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"contact_name": "Ann"}, "email"),  # neither an email nor a phone: reported at email
        ({"contact_name": "Ann", "address": {"postal_code": "p" * 201}}, "address.postal_code"),
        ({"contact_name": "Ann", "email": "nope"}, "email"),
        ({"contact_name": "Ann", "email": "a@example.com", "source": "tv"}, "source"),
        ({"email": "a@example.com"}, "contact_name"),
    ],
)
def test_bad_input_gets_a_422_problem_naming_the_field(client: TestClient, body: dict[str, Any], field: str) -> None:
    response = client.post("/leads", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]


def test_an_unknown_lead_is_a_404_problem(client: TestClient) -> None:
    response = client.get("/leads/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404 and response.json()["type"].endswith("not-found")


def test_health_reports_every_component(client: TestClient) -> None:
    client.post("/leads", json=ADA)
    report = wait_for(
        lambda: (
            (r := client.get("/health").json())["components"]["consumers"].get("lead_list_v4", {}).get("lag") == 0 and r
        ),
        what="lead_list to catch up",
    )
    assert report["status"] == "ok"
    assert set(report["components"]) == {"event_store", "read_store", "kafka", "consumers", "routing", "rebuilds"}
    assert report["components"]["routing"] == {"status": "ok", "fallbacks_after_failure": 0}
    assert report["components"]["rebuilds"] == {"status": "ok", "running": []}


def test_a_query_with_after_sees_the_callers_own_write(client: TestClient) -> None:
    for i in range(5):
        created = client.post("/leads", json={**ADA, "email": f"ada{i}@example.com"}, params=NOT_A_DUPLICATE).json()
        listed = client.get("/leads", params={"after": created["position"], "limit": 500})
        assert listed.headers["X-Read-Consistent"] == "true"
        assert created["lead_id"] in [item["lead_id"] for item in listed.json()["items"]]
        one = client.get(f"/leads/{created['lead_id']}", params={"after": created["position"]})
        assert one.status_code == 200 and one.headers["X-Read-Consistent"] == "true"


def test_a_query_that_cannot_catch_up_in_time_says_so(settings: Settings) -> None:
    engine = Engine.open(settings.model_copy(update={"read_wait_s": 0.2}))
    try:
        with TestClient(engine.app(), headers=bearer(engine)) as client:  # no consumers running
            created = client.post("/leads", json=ADA).json()
            listed = client.get("/leads", params={"after": created["position"]})
            assert listed.status_code == 200 and listed.headers["X-Read-Consistent"] == "false"
    finally:
        engine.close()


def test_a_nul_character_in_the_url_is_a_400_problem(client: TestClient) -> None:
    response = client.get("/leads", params={"industry": "\x00"})
    assert response.status_code == 400 and response.headers["content-type"] == "application/problem+json"
