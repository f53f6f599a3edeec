"""The application service's promises, on in-memory persistence."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import UUID, uuid4

import orjson
import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from domain.customers import Account, Contact, Opportunity
from domain.errors import ConversionRequirementsUnmet, InvalidCommand, NotFound, VersionConflict
from domain.lead_events import Disqualified
from domain.picklists import BantItem, DisqualifyReason, LeadStatus
from domain.records import OpportunityTerms
from domain.service import LeadService
from domain.values import EventMeta, LeadDetails

ADA = LeadDetails(contact_name="Ada", email="ada@example.com", company="Engines Ltd")
TERMS = OpportunityTerms(name="Deal", deal_value=5000, expected_close=date(2027, 3, 1), probability=60)
BANT: dict[BantItem, str | None] = {
    BantItem.BUDGET: "5k",
    BantItem.AUTHORITY: "CEO",
    BantItem.NEED: "yes",
    BantItem.TIMELINE: "Q1",
}


def meta(key: str | None = None) -> EventMeta:
    return EventMeta(actor="rep-1", command_id=key)


def qualified(service: LeadService) -> UUID:
    lead_id = service.capture_lead(details=ADA, meta=meta()).lead_id
    service.contact(lead_id=lead_id, via="call", meta=meta())
    service.update_bant(lead_id=lead_id, changes=BANT, meta=meta())
    service.qualify(lead_id=lead_id, meta=meta())
    return lead_id


def test_the_same_command_id_twice_has_one_effect_and_returns_the_first_result(service: LeadService) -> None:
    first = service.capture_lead(details=ADA, meta=meta("form-123"))
    again = service.capture_lead(details=ADA, meta=meta("form-123"))
    assert (again.lead_id, again.version, again.replayed) == (first.lead_id, first.version, True)
    assert service.recorder.max_notification_id() == 2  # the lead's event and the idempotency record
    service.contact(lead_id=first.lead_id, via="call", meta=meta("contact-1"))
    service.contact(lead_id=first.lead_id, via="call", meta=meta("contact-1"))
    assert service.get_lead(first.lead_id).version == 2


def test_an_idempotency_key_cannot_be_reused_for_another_command(service: LeadService) -> None:
    lead_id = service.capture_lead(details=ADA, meta=meta("k1")).lead_id
    with pytest.raises(InvalidCommand, match="already used for capture"):
        service.qualify(lead_id=lead_id, meta=meta("k1"))


def test_a_stale_expected_version_is_refused(service: LeadService) -> None:
    lead_id = service.capture_lead(details=ADA, meta=meta()).lead_id
    service.assign(lead_id=lead_id, owner="rep-2", meta=meta(), expected_version=1)
    with pytest.raises(VersionConflict) as conflict:
        service.assign(lead_id=lead_id, owner="rep-3", meta=meta(), expected_version=1)
    assert (conflict.value.expected, conflict.value.actual) == (1, 2)
    assert service.get_lead(lead_id).owner == "rep-2"


def test_unknown_leads_are_not_found(service: LeadService) -> None:
    with pytest.raises(NotFound):
        service.qualify(lead_id=uuid4(), meta=meta())


def test_conversion_creates_account_contact_and_opportunity_linked_both_ways(service: LeadService) -> None:
    lead_id = qualified(service)
    result = service.convert(lead_id=lead_id, terms=TERMS, meta=meta())
    lead = service.get_lead(result.lead_id)
    account = service.repository.get(result.created["account_id"])
    contact = service.repository.get(result.created["contact_id"])
    opportunity = service.repository.get(result.created["opportunity_id"])
    assert isinstance(account, Account) and isinstance(contact, Contact) and isinstance(opportunity, Opportunity)
    assert lead.status is LeadStatus.CONVERTED and lead.conversion is not None
    assert lead.conversion.account_id == account.id and lead.conversion.created_account
    assert account.name == "Engines Ltd" and account.lead_ids == [lead.id]
    assert account.opportunity_ids == [opportunity.id]
    assert contact.account_id == account.id and contact.email == "ada@example.com" and contact.lead_ids == [lead.id]
    assert (opportunity.lead_id, opportunity.account_id, opportunity.contact_id) == (lead.id, account.id, contact.id)


def test_conversion_can_attach_to_an_existing_account_instead_of_creating_one(service: LeadService) -> None:
    first = service.convert(lead_id=qualified(service), terms=TERMS, meta=meta())
    account_id = first.created["account_id"]
    second = service.convert(lead_id=qualified(service), terms=TERMS, meta=meta(), account_id=account_id)
    assert second.created["account_id"] == account_id
    account = service.repository.get(account_id)
    assert account.lead_ids == [first.lead_id, second.lead_id]
    assert service.get_lead(second.lead_id).conversion.created_account is False  # type: ignore[union-attr]


def test_a_refused_conversion_saves_nothing(service: LeadService) -> None:
    lead_id = qualified(service)
    service.update_bant(lead_id=lead_id, changes={BantItem.BUDGET: None}, meta=meta())
    before = service.recorder.max_notification_id()
    with pytest.raises(ConversionRequirementsUnmet):
        service.convert(lead_id=lead_id, terms=TERMS, meta=meta())
    assert service.recorder.max_notification_id() == before


def test_merge_commits_master_and_duplicates_together(service: LeadService) -> None:
    master = service.capture_lead(details=ADA, meta=meta()).lead_id
    dup = service.capture_lead(details=LeadDetails(contact_name="Ada L", phone="+442079460958"), meta=meta()).lead_id
    service.follow(lead_id=dup, user="manager-1", meta=meta())
    result = service.merge(master_id=master, duplicate_ids=[dup], take_fields={dup: ["phone"]}, meta=meta())
    assert result.lead_id == master
    assert service.get_lead(master).details.phone == "+442079460958"
    assert "manager-1" in service.get_lead(master).followers
    assert service.get_lead(dup).merged_into == master


def test_a_lead_can_be_replayed_as_of_a_time_or_a_version(service: LeadService) -> None:
    lead_id = service.capture_lead(details=ADA, meta=meta()).lead_id
    service.contact(lead_id=lead_id, via="call", meta=meta())
    history = service.history(lead_id)
    as_captured = service.lead_as_of(lead_id, history[0].timestamp)
    assert as_captured.status is LeadStatus.NEW and as_captured.version == 1
    assert service.get_lead(lead_id, version=2).status is LeadStatus.CONTACTED
    with pytest.raises(NotFound):
        service.lead_as_of(lead_id, history[0].timestamp - timedelta(seconds=1))


def test_a_stored_v1_disqualified_event_is_upcast_on_read(service: LeadService) -> None:
    lead_id = service.capture_lead(details=ADA, meta=meta()).lead_id
    v1_state = {
        "timestamp": datetime.now().astimezone().isoformat(),
        "meta": {"actor": "legacy"},
        "reason": "said no on the phone",
    }
    service.recorder.insert_events(
        [
            StoredEvent(
                originator_id=lead_id, originator_version=2, topic=get_topic(Disqualified), state=orjson.dumps(v1_state)
            )
        ]
    )
    lead = service.get_lead(lead_id)
    assert lead.status is LeadStatus.UNQUALIFIED
    event = service.history(lead_id)[-1]
    assert isinstance(event, Disqualified)
    assert (event.reason_code, event.reason_text) == (DisqualifyReason.OTHER, "said no on the phone")
