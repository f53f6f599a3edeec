"""Qualified means the lead meets the BANT criteria (the product brief's status table):
qualifying is refused, naming what is missing, until budget, authority, need and timeline are
all recorded; a refused qualification leaves no trace."""

from __future__ import annotations

import pytest

from domain.errors import IllegalTransition, QualificationRequirementsUnmet
from domain.lead import Lead
from domain.picklists import BantItem
from domain.picklists import LeadStatus as S
from domain.service import LeadService
from tests.unit.conftest import META, new_lead
from tests.unit.test_lifecycle import COMPLETE_BANT
from tests.unit.test_service import ADA, BANT, meta


def contacted() -> Lead:
    lead = new_lead()
    lead.contact(via="call", meta=META)
    return lead


def test_a_lead_without_any_bant_answer_cannot_be_qualified_and_all_four_items_are_named() -> None:
    lead = contacted()
    version = lead.version
    with pytest.raises(QualificationRequirementsUnmet) as refused:
        lead.qualify(meta=META)
    assert refused.value.missing == ["budget", "authority", "need", "timeline"]
    assert str(refused.value) == (
        "a lead is qualified when it meets the BANT criteria; record these BANT items first: "
        "budget, authority, need, timeline"
    )
    assert (lead.status, lead.version) == (S.CONTACTED, version), "a refused qualification records nothing"


def test_a_partly_answered_bant_checklist_is_refused_naming_only_the_missing_items() -> None:
    lead = contacted()
    lead.update_bant(changes={BantItem.BUDGET: "50k", BantItem.NEED: "CRM"}, meta=META)
    with pytest.raises(QualificationRequirementsUnmet) as refused:
        lead.qualify(meta=META)
    assert refused.value.missing == ["authority", "timeline"]
    assert lead.status is S.CONTACTED


def test_a_blank_or_cleared_bant_answer_does_not_count_as_met() -> None:
    lead = contacted()
    lead.update_bant(changes={**COMPLETE_BANT, BantItem.AUTHORITY: "   "}, meta=META)
    with pytest.raises(QualificationRequirementsUnmet) as refused:
        lead.qualify(meta=META)
    assert refused.value.missing == ["authority"]
    lead.update_bant(changes={BantItem.AUTHORITY: "CFO", BantItem.TIMELINE: None}, meta=META)
    with pytest.raises(QualificationRequirementsUnmet) as refused:
        lead.qualify(meta=META)
    assert refused.value.missing == ["timeline"]


@pytest.mark.parametrize("from_status", [S.CONTACTED, S.NURTURE])
def test_a_lead_with_every_bant_item_recorded_is_qualified(from_status: S) -> None:
    lead = contacted() if from_status is S.CONTACTED else new_lead()
    if from_status is S.NURTURE:
        lead.nurture(reason="next year", follow_up_on=None, meta=META)
    lead.update_bant(changes=dict(COMPLETE_BANT), meta=META)
    lead.qualify(meta=META)
    assert lead.status is S.QUALIFIED


def test_a_status_that_cannot_be_qualified_is_refused_for_its_status_before_its_bant() -> None:
    with pytest.raises(IllegalTransition):
        new_lead().qualify(meta=META)


def test_a_refused_qualification_saves_nothing_through_the_service(service: LeadService) -> None:
    lead = service.capture_lead(details=ADA, meta=meta()).lead_id
    service.contact(lead_id=lead, via="call", meta=meta())
    service.update_bant(lead_id=lead, changes={BantItem.BUDGET: BANT[BantItem.BUDGET]}, meta=meta())
    before = service.recorder.max_notification_id()
    with pytest.raises(QualificationRequirementsUnmet) as refused:
        service.qualify(lead_id=lead, meta=meta("q-1"))
    assert refused.value.missing == ["authority", "need", "timeline"]
    assert service.recorder.max_notification_id() == before
    assert service.get_lead(lead).status is S.CONTACTED
    service.update_bant(lead_id=lead, changes=BANT, meta=meta())
    service.qualify(lead_id=lead, meta=meta("q-2"))
    assert service.get_lead(lead).status is S.QUALIFIED
