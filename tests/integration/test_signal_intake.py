"""Signals from Kafka (issue #18): a signal for a known lead is recorded and scored (cause
``signal``) under the published model; one for an unknown lead, or of an unknown type, goes to
the dead-letter topic with the reason."""

from __future__ import annotations

import uuid

from kafka import KafkaProducer

from domain.lead_events import Scored, SignalRecorded
from domain.score_values import ScoreCause
from domain.scoring import ScoringModel
from domain.values import EventMeta, LeadDetails
from infra.kafka_dlq import list_dead_letters
from infra.runtime import Engine
from tests.conftest import wait_for
from tests.integration.test_intake import ce, intake, intake_done, producer, send  # noqa: F401 - fixtures

MODEL = {"signals": [{"id": "webinar", "signal": "webinar_attended", "points": 25}]}


def test_an_intake_signal_is_scored_and_a_bad_one_is_dead_lettered_with_the_reason(
    intake: Engine,  # noqa: F811 - the fixture
    producer: KafkaProducer,  # noqa: F811 - the fixture
) -> None:
    s, admin = intake.service, EventMeta(actor="admin-1")
    s.save_scoring_draft(model=ScoringModel.model_validate(MODEL), meta=admin)
    s.publish_scoring_model(meta=admin)
    lead = s.capture_lead(details=LeadDetails(contact_name="W", email="w@example.com"), meta=admin).lead_id
    nobody = str(uuid.uuid4())
    send(
        producer,
        intake.settings,
        [
            (str(lead), ce("lead.intake.signal.v1", {"lead_id": str(lead), "kind": "Webinar Attended"})),
            (nobody, ce("lead.intake.signal.v1", {"lead_id": nobody, "kind": "email_opened"})),
            (str(lead), ce("lead.intake.signal.v1", {"lead_id": str(lead), "kind": "carrier_pigeon"})),
        ],
    )
    wait_for(lambda: intake_done(intake.settings, 3), timeout=60, what="the intake consumer to commit 3 offsets")
    events = list(s.events.get(lead))
    assert [type(e) for e in events[-2:]] == [SignalRecorded, Scored]
    scored = events[-1]
    assert isinstance(scored, Scored) and (scored.cause, scored.breakdown.behavioral) == (ScoreCause.SIGNAL, 25)
    dead = list_dead_letters(
        bootstrap_servers=intake.settings.kafka_bootstrap_servers, dlq_topic=intake.settings.dlq_topic
    )
    reasons = {d["stage"]: d["reason"] for d in dead}
    assert "not found" in reasons["domain"] and "kind" in reasons["validate"], reasons
