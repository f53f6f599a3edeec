"""Through the broker: messages of CloudEvents 0.3, with a naive time, or capturing a lead that
exists land in the dead-letter topic with a reason naming the header or field; the good ones in
the same batch are applied."""

from __future__ import annotations

import uuid
from typing import Any

from kafka import KafkaProducer

from infra.kafka_dlq import list_dead_letters
from infra.runtime import Engine
from tests.conftest import wait_for
from tests.integration.test_intake import ce, intake, intake_done, producer, send

__all__ = ["intake", "producer"]


def test_old_versions_naive_times_and_taken_lead_ids_are_dead_lettered_saying_where(
    intake: Engine, producer: KafkaProducer
) -> None:
    s = intake.settings
    taken, fresh = str(uuid.uuid4()), str(uuid.uuid4())
    ada = {"contact_name": "Ada", "email": "ada@example.com"}
    first: list[tuple[str, tuple[bytes, list[Any]]]] = [(taken, ce("lead.intake.capture.v1", ada | {"lead_id": taken}))]
    send(producer, s, first)
    wait_for(lambda: intake_done(s, 1), timeout=60, what="the first capture")
    old = ce("lead.intake.capture.v1", ada)
    old[1][0] = ("ce_specversion", b"0.3")
    naive = ce("lead.intake.capture.v1", ada)
    naive[1][4] = ("ce_time", b"2026-11-20T10:00:00")
    messages = [
        ("a", old),
        ("b", naive),
        (taken, ce("lead.intake.capture.v1", ada | {"lead_id": taken, "email": "other@example.com"})),
        (fresh, ce("lead.intake.capture.v1", ada | {"lead_id": fresh, "email": "fresh@example.com"})),
    ]
    send(producer, s, messages)
    wait_for(lambda: intake_done(s, 5), timeout=60, what="intake to commit every message")
    dead = list_dead_letters(bootstrap_servers=s.kafka_bootstrap_servers, dlq_topic=s.dlq_topic)
    reasons = sorted(d["reason"] for d in dead)
    assert len(reasons) == 3, reasons
    assert reasons[0] == "LeadExists: " + (
        f"lead_id: a lead with id {taken} already exists; capturing creates a new lead, so omit lead_id "
        "(the engine picks one) or send a command to that lead instead"
    )
    assert reasons[1].startswith("header ce_specversion: '0.3' is not supported")
    assert reasons[2].startswith("header ce_time: '2026-11-20T10:00:00' has no timezone")
    assert intake.service.get_lead(uuid.UUID(fresh)).details.email == "fresh@example.com"
    assert intake.service.get_lead(uuid.UUID(taken)).details.email == "ada@example.com"
