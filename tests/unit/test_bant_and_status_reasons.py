"""The BANT checklist (only real changes are recorded; an empty value clears an item) and the
reason a lead carries for its status (nurtured, disqualified, cleared on reopening)."""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.base import upcast
from domain.lead_events import BantUpdated, Disqualified, Nurtured
from domain.picklists import BantItem, DisqualifyReason, LeadStatus
from tests.unit.conftest import META, new_lead

B, A, N, T = BantItem.BUDGET, BantItem.AUTHORITY, BantItem.NEED, BantItem.TIMELINE


def test_a_bant_update_that_changes_nothing_records_nothing() -> None:
    lead = new_lead()
    lead.update_bant(changes={B: "50k", A: "CFO"}, meta=META)
    lead.update_bant(changes={B: "50k", A: " CFO ", N: None, T: ""}, meta=META)
    assert lead.version == 2
    assert lead.bant == {B: "50k", A: "CFO"}


def test_a_bant_update_records_only_the_items_that_changed_trimmed() -> None:
    lead = new_lead()
    lead.update_bant(changes={B: "50k", A: "CFO"}, meta=META)
    lead.update_bant(changes={B: "50k", A: "  CEO  ", N: "a CRM"}, meta=META)
    event = lead.pending_events[-1]
    assert isinstance(event, BantUpdated) and event.changes == {A: "CEO", N: "a CRM"}
    assert lead.bant == {B: "50k", A: "CEO", N: "a CRM"}
    assert lead.missing_bant == ["timeline"]


def test_clearing_a_bant_item_with_no_value_or_a_blank_one_makes_it_missing_again() -> None:
    lead = new_lead()
    lead.update_bant(changes={B: "50k", A: "CFO", N: "a CRM"}, meta=META)
    lead.update_bant(changes={B: None, A: "   "}, meta=META)
    event = lead.pending_events[-1]
    assert isinstance(event, BantUpdated) and event.changes == {B: None, A: None}
    assert lead.bant == {N: "a CRM"}
    assert lead.missing_bant == ["budget", "authority", "timeline"]


def test_nurturing_keeps_the_reason_and_the_follow_up_date() -> None:
    lead = new_lead()
    lead.nurture(reason="budget next year", follow_up_on=date(2027, 1, 15), meta=META)
    event = lead.pending_events[-1]
    assert isinstance(event, Nurtured)
    assert (event.reason, event.follow_up_on) == ("budget next year", date(2027, 1, 15))
    assert (lead.status, lead.status_reason) == (LeadStatus.NURTURE, "budget next year")


def test_a_disqualification_without_text_has_just_the_reason_code() -> None:
    lead = new_lead()
    lead.disqualify(reason=DisqualifyReason.NO_BUDGET, text=None, meta=META)
    assert (lead.status, lead.status_reason) == (LeadStatus.UNQUALIFIED, "no_budget")
    lead.disqualify(reason=DisqualifyReason.NO_NEED, text="", meta=META)
    assert lead.status_reason == "no_need"
    lead.disqualify(reason=DisqualifyReason.JUNK, text="spam", meta=META)
    assert lead.status_reason == "junk: spam"


def test_reopening_clears_the_reason() -> None:
    lead = new_lead()
    lead.disqualify(reason=DisqualifyReason.NO_BUDGET, text="maybe later", meta=META)
    lead.reopen(meta=META)
    assert (lead.status, lead.status_reason) == (LeadStatus.NEW, None)


def test_a_new_lead_has_no_reason_owner_duplicate_or_erasure() -> None:
    lead = new_lead()
    assert (lead.status, lead.status_reason, lead.owner, lead.duplicate_of, lead.merged_into) == (
        LeadStatus.NEW,
        None,
        None,
        None,
        None,
    )
    assert lead.erased is False and lead.missing_bant == ["budget", "authority", "need", "timeline"]


def test_a_v1_disqualification_with_or_without_free_text_is_upcast_as_other() -> None:
    with_text = {"reason": "said no", "class_version": 1}
    without = {"class_version": 1}
    upcast(Disqualified, with_text)
    upcast(Disqualified, without)
    assert with_text == {"reason_code": "other", "reason_text": "said no"}
    assert without == {"reason_code": "other", "reason_text": None}


def test_a_current_event_is_not_upcast() -> None:
    state = {"reason_code": "junk", "reason_text": None, "class_version": 2}
    upcast(Disqualified, state)
    assert state == {"reason_code": "junk", "reason_text": None}
    unversioned = {"reason_code": "junk"}
    upcast(Disqualified, unversioned)
    assert unversioned == {"reason_code": "other", "reason_text": None}, "an event without a version is v1"


class Versioned:
    """An event type at version 3, with the library's upcaster convention."""

    class_version = 3

    @staticmethod
    def upcast_v1_v2(state: dict[str, list[str]]) -> None:
        state["steps"] = [*state.get("steps", []), "v2"]

    @staticmethod
    def upcast_v2_v3(state: dict[str, list[str]]) -> None:
        state["steps"] = [*state.get("steps", []), "v3"]


def test_an_event_several_versions_behind_is_upcast_one_version_at_a_time() -> None:
    v1: dict[str, Any] = {"class_version": 1}
    v2: dict[str, Any] = {"class_version": 2}
    upcast(Versioned, v1)
    upcast(Versioned, v2)
    assert (v1, v2) == ({"steps": ["v2", "v3"]}, {"steps": ["v3"]})


def test_a_type_without_versions_is_never_upcast() -> None:
    state: dict[str, Any] = {"class_version": 1, "x": 1}
    upcast(object, state)
    assert state == {"x": 1}
