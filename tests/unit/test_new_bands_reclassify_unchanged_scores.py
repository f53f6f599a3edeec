"""A publication whose bands or MQL threshold change what an unchanged score means records one
``ScoreReclassified`` for each lead whose temperature or stage it changes, and nothing for the
others; a lead whose score moves gets only its ``Scored`` (which carries the new bands). Every
expected temperature and stage below is worked out by hand from the bands in the comments."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.lead_events import Scored, ScoreReclassified
from domain.picklists import BantItem, Temperature
from domain.score_values import Bands, ScoreCause, Stage
from domain.scoring import ScoringModel
from domain.scoring_models import MODELS_ID, ScoringModels
from domain.service import LeadService
from domain.values import EventMeta, LeadDetails

ADMIN = EventMeta(actor="admin-1")
REP = EventMeta(actor="rep-1")
DACH: dict[str, Any] = {
    "id": "dach",
    "category": "demographic",
    "points": 20,
    "conditions": [{"field": "country", "op": "equals", "value": "DE"}],
}
NEW_BANDS = {"bands": {"cold_max": 15, "warm_max": 50}, "mql_threshold": 60}
"""Cold 0-15, warm 16-50, hot 51-100; MQL from 60 (was: cold 0-30, warm 31-69, MQL from 50)."""


def publish(service: LeadService, **model: Any) -> None:
    service.save_scoring_draft(model=ScoringModel.model_validate({"criteria": [DACH]} | model), meta=ADMIN)
    service.publish_scoring_model(meta=ADMIN)


def capture(service: LeadService, country: str, adjust: int = 0) -> UUID:
    details = LeadDetails.model_validate(
        {"contact_name": "Ada", "email": "ada@example.com", "address": {"country": country}}
    )
    lead_id = service.capture_lead(details=details, meta=REP).lead_id
    if adjust:
        service.adjust_score(lead_id=lead_id, points=adjust, reason="met at a fair", meta=REP)
    return lead_id


def events(service: LeadService, lead_id: UUID, since: int) -> list[object]:
    return [e for e in service.events.get(lead_id, gt=since) if isinstance(e, Scored | ScoreReclassified)]


def rescore(service: LeadService, ids: list[UUID]) -> int:
    version = service.scoring_models(fresh=True).model_version
    return service.rescore_leads(lead_ids=ids, cause=ScoreCause.MODEL, meta=ADMIN, version=version)


def test_new_bands_record_one_reclassification_for_each_lead_they_show_otherwise_and_none_for_the_rest(
    service: LeadService,
) -> None:
    publish(service)
    warm_to_cold = capture(service, "DE")  # 20: cold (≤30), lead (<50) → warm (16-50), lead
    hot_lead = capture(service, "DE", adjust=35)  # 55: warm, MQL (≥50) → hot (>50), lead (<60)
    unchanged = capture(service, "DE", adjust=20)  # 40: warm, lead → warm, lead
    nothing = capture(service, "FR")  # 0: cold, subscriber → cold, subscriber
    ids = [warm_to_cold, hot_lead, unchanged, nothing]
    before = {i: service.get_lead(i).version for i in ids}
    assert [service.get_lead(i).score for i in ids] == [20, 55, 40, 0]

    publish(service, **NEW_BANDS)
    assert rescore(service, ids) == 2

    reclassified = {i: events(service, i, before[i]) for i in ids}
    assert reclassified[unchanged] == [] and reclassified[nothing] == []
    [first] = reclassified[warm_to_cold]
    [second] = reclassified[hot_lead]
    assert isinstance(first, ScoreReclassified) and isinstance(second, ScoreReclassified)
    assert (first.temperature, first.stage, first.model_version, first.mql_threshold) == (
        Temperature.WARM,
        Stage.LEAD,
        2,
        60,
    )
    assert (second.temperature, second.stage) == (Temperature.HOT, Stage.LEAD)
    assert first.bands == Bands(cold_max=15, warm_max=50)
    lead = service.get_lead(hot_lead)
    assert (lead.score, lead.temperature, lead.stage, lead.score_model_version) == (55, Temperature.HOT, Stage.LEAD, 2)
    assert rescore(service, ids) == 0, "visited again (a restart): nothing more"


def test_a_lead_whose_score_moves_gets_its_scored_alone_carrying_the_new_bands(service: LeadService) -> None:
    publish(service)
    lead_id = capture(service, "DE")  # 20: cold, lead
    version = service.get_lead(lead_id).version
    publish(service, criteria=[{**DACH, "points": 25}], **NEW_BANDS)  # 25: warm (16-50), lead
    assert rescore(service, [lead_id]) == 1
    [scored] = events(service, lead_id, version)
    assert (
        isinstance(scored, Scored) and scored.breakdown.total == 25 and scored.bands == Bands(cold_max=15, warm_max=50)
    )
    assert service.get_lead(lead_id).temperature is Temperature.WARM


def test_a_threshold_that_changes_no_stage_now_applies_at_the_status_change_where_it_would(
    service: LeadService,
) -> None:
    """Qualified, a lead is SQL whatever its score; once nurtured, its 55 points are MQL under
    the old threshold (50) but a lead under the new one (60): the nurture records it."""
    publish(service)
    lead_id = capture(service, "DE", adjust=35)  # 55
    service.contact(lead_id=lead_id, via="call", meta=REP)
    service.update_bant(lead_id=lead_id, changes=dict.fromkeys(BantItem, "yes"), meta=REP)
    service.qualify(lead_id=lead_id, meta=REP)
    version = service.get_lead(lead_id).version
    publish(service, mql_threshold=60)
    assert rescore(service, [lead_id]) == 0, "SQL under either threshold: nothing shows otherwise"
    assert events(service, lead_id, version) == []

    service.nurture(lead_id=lead_id, meta=REP)
    [reclassified] = events(service, lead_id, version)
    assert isinstance(reclassified, ScoreReclassified) and reclassified.stage is Stage.LEAD
    assert service.get_lead(lead_id).stage is Stage.LEAD


def test_a_stale_cached_model_never_undoes_a_newer_publication(service: LeadService) -> None:
    publish(service)
    as_first_published = service.scoring_models(fresh=True).version
    lead_id = capture(service, "DE", adjust=35)  # 55: warm, MQL
    publish(service, **NEW_BANDS)
    rescore(service, [lead_id])  # hot, lead under version 2
    stale = service.repository.get(MODELS_ID, version=as_first_published)  # what another process may still hold
    assert isinstance(stale, ScoringModels) and stale.model_version == 1
    lead = service.get_lead(lead_id)
    assert not service._score(lead, cause=ScoreCause.DETAILS, meta=REP, models=stale)
    assert (lead.pending_events, lead.temperature) == ([], Temperature.HOT)
