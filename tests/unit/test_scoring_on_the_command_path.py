"""Scoring through the service: nothing is scored before a model is published; then a capture,
an update and a signal are scored in their own command (one ``Scored`` when score or grade
moves, none otherwise), and a re-scoring records a move only, with its cause."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from domain.lead_events import Scored
from domain.picklists import SignalKind
from domain.records import Signal
from domain.score_values import Grade, ScoreCause
from domain.scoring import ScoringModel
from domain.scoring_models import ModelRefused
from domain.service import LeadService
from domain.values import EventMeta, LeadDetails

ADMIN = EventMeta(actor="admin-1")
T0 = datetime(2026, 12, 1, 9, tzinfo=UTC)
MODEL: dict[str, Any] = {
    "criteria": [
        {
            "id": "dach",
            "category": "demographic",
            "points": 20,
            "conditions": [{"field": "country", "op": "in", "value": ["DE", "AT"]}],
        },
        {
            "id": "big",
            "category": "firmographic",
            "points": 10,
            "conditions": [{"field": "company_size", "op": "range", "value": {"min": 100}}],
        },
    ],
    "signals": [{"id": "dl", "signal": "content_downloaded", "points": 20}],
    "decay": {"kind": "half_life", "days": 10},
}


def publish(service: LeadService, **changes: Any) -> None:
    service.save_scoring_draft(model=ScoringModel.model_validate(MODEL | changes), meta=ADMIN)
    service.publish_scoring_model(meta=ADMIN)


def scores(service: LeadService, lead_id: UUID) -> list[Scored]:
    return [e for e in service.events.get(lead_id) if isinstance(e, Scored)]


@pytest.fixture
def clocked(service: LeadService) -> LeadService:
    service.clock = lambda: T0  # type: ignore[method-assign]
    return service


def capture(service: LeadService, **fields: Any) -> UUID:
    details = LeadDetails.model_validate({"contact_name": "Ada", "email": "ada@example.com"} | fields)
    return service.capture_lead(details=details, meta=EventMeta(actor="rep-1")).lead_id


def test_nothing_is_scored_until_a_model_is_published(clocked: LeadService) -> None:
    lead_id = capture(clocked, address={"country": "DE"})
    assert (scores(clocked, lead_id), clocked.get_lead(lead_id).score) == ([], 0)


def test_a_capture_is_scored_in_its_own_command_with_cause_details(clocked: LeadService) -> None:
    publish(clocked)
    lead_id = capture(clocked, address={"country": "DE"}, company_size=500)
    [scored] = scores(clocked, lead_id)
    assert (scored.cause, scored.model_version, scored.breakdown.total, scored.grade) == (
        ScoreCause.DETAILS,
        1,
        30,
        Grade.C,
    )
    assert scored.originator_version == 2, "recorded with the capture, in one save"


def test_a_signal_is_recorded_and_scored_and_one_that_scores_nothing_records_no_score(clocked: LeadService) -> None:
    publish(clocked)
    lead_id = capture(clocked)
    [graded] = scores(clocked, lead_id)
    assert (graded.breakdown.total, graded.grade) == (0, Grade.F), "no fit at all: graded F when captured"
    clocked.record_signal(lead_id=lead_id, signal=Signal(kind=SignalKind.EMAIL_OPENED, occurred_at=T0), meta=ADMIN)
    assert len(scores(clocked, lead_id)) == 1
    clocked.record_signal(
        lead_id=lead_id, signal=Signal(kind=SignalKind.CONTENT_DOWNLOADED, occurred_at=T0), meta=ADMIN
    )
    scored = scores(clocked, lead_id)[-1]
    assert (scored.cause, scored.breakdown.behavioral, clocked.get_lead(lead_id).score) == (ScoreCause.SIGNAL, 20, 20)


def test_an_update_that_changes_fit_moves_the_score_and_grade(clocked: LeadService) -> None:
    publish(clocked)
    lead_id = capture(clocked, address={"country": "FR"})
    clocked.update_details(lead_id=lead_id, changes={"address": {"country": "AT"}}, meta=ADMIN)
    [_, scored] = scores(clocked, lead_id)
    assert (scored.breakdown.demographic, scored.grade, scored.cause) == (20, Grade.D, ScoreCause.DETAILS)


def test_a_new_model_rescores_only_leads_whose_score_moves(clocked: LeadService) -> None:
    publish(clocked)
    german, french = (
        capture(clocked, address={"country": "DE"}),
        capture(clocked, address={"country": "FR"}, email="f@x.io"),
    )
    publish(clocked, caps={"demographic": 15})
    assert clocked.rescore(lead_id=german, cause=ScoreCause.MODEL, meta=ADMIN, version=2)
    assert not clocked.rescore(lead_id=french, cause=ScoreCause.MODEL, meta=ADMIN, version=2)
    assert [(s.cause, s.model_version, s.breakdown.total) for s in scores(clocked, german)] == [
        (ScoreCause.DETAILS, 1, 20),
        (ScoreCause.MODEL, 2, 15),
    ]
    assert [s.model_version for s in scores(clocked, french)] == [1], "graded F at capture, nothing since"
    assert not clocked.rescore(lead_id=german, cause=ScoreCause.MODEL, meta=ADMIN, version=1), "superseded"


def test_decay_moves_a_score_only_when_a_whole_point_fades(clocked: LeadService) -> None:
    publish(clocked)
    lead_id = capture(clocked)
    clocked.record_signal(
        lead_id=lead_id, signal=Signal(kind=SignalKind.CONTENT_DOWNLOADED, occurred_at=T0), meta=ADMIN
    )
    clocked.clock = lambda: T0 + timedelta(hours=5)  # type: ignore[method-assign]
    assert not clocked.rescore(lead_id=lead_id, cause=ScoreCause.DECAY, meta=ADMIN), "20 x 0.986 still rounds to 20"
    clocked.clock = lambda: T0 + timedelta(days=10)  # type: ignore[method-assign]
    assert clocked.rescore(lead_id=lead_id, cause=ScoreCause.DECAY, meta=ADMIN)
    assert (scores(clocked, lead_id)[-1].cause, clocked.get_lead(lead_id).score) == (ScoreCause.DECAY, 10)


def test_a_bad_draft_is_refused_at_save_and_the_published_model_stays(clocked: LeadService) -> None:
    publish(clocked)
    with pytest.raises(ModelRefused, match="needs days"):
        clocked.save_scoring_draft(model=ScoringModel.model_validate(MODEL | {"decay": {"kind": "window"}}), meta=ADMIN)
    models = clocked.scoring_models(fresh=True)
    assert (models.model_version, models.draft) == (1, ScoringModel.model_validate(MODEL))
