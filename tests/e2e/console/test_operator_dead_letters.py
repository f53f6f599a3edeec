"""An operator works the intake's dead letters from the console, in kafka mode and headless
Chromium: the page lists each record with its cause, replays one with a corrected payload (the
lead appears) and discards another with a reason; both leave the open list."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaProducer
from playwright.sync_api import expect

from api.auth import Role
from domain.errors import NotFound
from infra.kafka_dlq import list_dead_letters
from infra.runtime import Engine
from tests.conftest import wait_for
from tests.e2e.console.conftest import LiveServer, login, serious_violations, token_for
from tests.integration.test_intake import ce, send


@pytest.fixture
def kafka_page(browser: Any, kafka_engine: Engine) -> Iterator[Any]:
    kafka_engine.start_background()
    with LiveServer(kafka_engine) as live:
        context = browser.new_context(base_url=live.url, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        yield context.new_page()
        context.close()


def test_an_operator_replays_a_corrected_dead_letter_and_discards_another_from_the_console(
    kafka_engine: Engine, kafka_page: Any, tmp_path: Path
) -> None:
    s = kafka_engine.settings
    ghost, new = str(uuid.uuid4()), str(uuid.uuid4())
    bad_email = {"lead_id": new, "contact_name": "Grace", "email": "grace-at-navy"}
    producer = KafkaProducer(bootstrap_servers=s.kafka_bootstrap_servers)
    try:
        send(
            producer,
            s,
            [
                (ghost, ce("lead.intake.assign.v1", {"lead_id": ghost, "owner": "rep-9"})),
                (new, ce("lead.intake.capture.v1", bad_email)),
            ],
        )
    finally:
        producer.close()
    wait_for(
        lambda: len(list_dead_letters(bootstrap_servers=s.kafka_bootstrap_servers, dlq_topic=s.dlq_topic)) == 2,
        timeout=60,
        what="two dead letters",
    )
    page = kafka_page
    login(page, kafka_engine, "admin-1", Role.ADMIN)
    token = token_for(kafka_engine, "admin-1", Role.ADMIN)
    records = page.request.get("/dead-letters", headers={"Authorization": f"Bearer {token}"}).json()
    page.goto("/ui/operator")
    section = page.get_by_test_id("dead-letters")
    expect(section.get_by_test_id("dlq-status")).to_have_count(2)
    expect(section).to_contain_text("email")
    assert serious_violations(page) == []
    invalid = next(r for r in records if r["stage"] == "validate")
    unknown = next(r for r in records if r is not invalid)

    fixed = f'{{"lead_id": "{new}", "contact_name": "Grace", "email": "grace@navy.mil"}}'
    section.get_by_test_id(f"dlq-{invalid['id']}").get_by_label("Corrected payload (JSON, optional)").fill(fixed)
    section.get_by_role("button", name=f"Replay {invalid['id']}").click()
    expect(section.get_by_test_id("dlq-status")).to_have_count(1)
    wait_for(lambda: exists(kafka_engine, uuid.UUID(new)), timeout=30, what="the replayed lead")

    section.get_by_label(f"Why discard {unknown['id']}").fill("no such lead: sender told")
    section.get_by_role("button", name=f"Discard {unknown['id']}").click()
    expect(section).to_contain_text("None.")
    page.get_by_role("link", name="discarded").click()
    expect(section.get_by_test_id(f"dlq-{unknown['id']}")).to_contain_text("discarded")
    page.screenshot(path=str(tmp_path / "operator-dead-letters.png"), full_page=True)


def exists(engine: Engine, lead_id: uuid.UUID) -> bool:
    try:
        engine.service.get_lead(lead_id)
    except NotFound:
        return False
    return True
