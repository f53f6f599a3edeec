"""A lead flagged as a possible duplicate waits for a person: merge it (into the lead or the
contact it duplicates), or declare it not a duplicate, which is remembered so the pair is never
flagged again. Every decision is an event, and the flags rest on the write side's claims."""

from __future__ import annotations

from uuid import UUID

import pytest

from domain.customers import Account, Contact
from domain.duplicates import Combined, OnDuplicate, flag, screen
from domain.errors import DeclaredDistinct, IllegalTransition
from domain.lead_events import DuplicateDismissed, MarkedDuplicate, MergedIntoContact
from domain.picklists import LeadStatus
from domain.service import LeadService
from domain.values import EventMeta, LeadDetails
from tests.unit.test_conversion_rules import FULL, get, qualified
from tests.unit.test_service import TERMS, meta


class NoReadModel:
    """A read model that has seen nothing yet: every flag below comes from the write side."""

    def candidates(self, details: LeadDetails) -> list[object]:
        return []


def form(service: LeadService, details: LeadDetails) -> UUID:
    finder = Combined(NoReadModel(), service)  # type: ignore[arg-type]
    return service.capture_lead(details=details, meta=EventMeta(actor="form:contact-us"), screen=flag(finder)).lead_id


def converted(service: LeadService) -> dict[str, UUID]:
    return service.convert(lead_id=qualified(service), terms=TERMS, meta=meta()).created


def test_a_form_post_with_the_email_of_a_contact_is_captured_flagged_as_that_contacts_duplicate(
    service: LeadService,
) -> None:
    customer = converted(service)
    lead = form(service, LeadDetails(contact_name="G. Hopper", email="GRACE@example.com"))
    captured = service.get_lead(lead)
    assert (captured.duplicate_of, captured.duplicate_of_kind) == (customer["contact_id"], "contact")
    marked = next(e for e in service.history(lead) if isinstance(e, MarkedDuplicate))
    assert next((c.record_id, c.kind) for c in marked.candidates) == (customer["contact_id"], "contact")
    assert "email" in marked.matched_on


def test_a_form_post_with_the_phone_of_a_contact_is_flagged_too(service: LeadService) -> None:
    customer = converted(service)
    lead = form(service, LeadDetails(contact_name="Someone", phone=FULL.phone))
    assert service.get_lead(lead).duplicate_of == customer["contact_id"]


def test_a_lead_only_at_a_customers_company_is_not_a_duplicate(service: LeadService) -> None:
    converted(service)
    lead = form(service, LeadDetails(contact_name="Alan Turing", email="alan@else.example", company="Compilers"))
    assert service.get_lead(lead).duplicate_of is None


def test_the_api_can_associate_a_look_alike_with_the_contact_and_its_account(service: LeadService) -> None:
    customer = converted(service)
    check = screen(Combined(NoReadModel(), service), service.links_of, OnDuplicate.ASSOCIATE)  # type: ignore[arg-type]
    lead = service.capture_lead(
        details=LeadDetails(contact_name="Grace", email="grace@example.com"), meta=meta(), screen=check
    ).lead_id
    details = service.get_lead(lead).details
    assert (details.account_id, details.contact_id) == (customer["account_id"], customer["contact_id"])


def test_merging_a_duplicate_into_its_contact_archives_it_and_every_side_keeps_its_history(
    service: LeadService,
) -> None:
    customer = converted(service)
    lead = form(service, LeadDetails(contact_name="G. Hopper", email="grace@example.com"))
    contact_before = len(list(service.events.get(customer["contact_id"])))
    service.merge_into_contact(lead_id=lead, contact_id=customer["contact_id"], meta=meta())
    merged = service.get_lead(lead)
    assert (merged.status, merged.merged_into) == (LeadStatus.MERGED, customer["contact_id"])
    assert [type(e).__name__ for e in service.history(lead)][-1] == MergedIntoContact.__name__
    contact = get(service, Contact, customer["contact_id"])
    account = get(service, Account, customer["account_id"])
    assert isinstance(contact, Contact) and isinstance(account, Account)
    assert lead in contact.lead_ids and lead in account.lead_ids
    assert len(list(service.events.get(customer["contact_id"]))) == contact_before + 1
    with pytest.raises(IllegalTransition):
        service.merge_into_contact(lead_id=lead, contact_id=customer["contact_id"], meta=meta())


def test_merging_frees_the_leads_email_so_the_contact_alone_holds_it(service: LeadService) -> None:
    customer = converted(service)
    lead = form(service, LeadDetails(contact_name="G. Hopper", email="grace@example.com"))
    service.merge_into_contact(lead_id=lead, contact_id=customer["contact_id"], meta=meta())
    again = form(service, LeadDetails(contact_name="G. Hopper", email="grace@example.com"))
    assert service.get_lead(again).duplicate_of == customer["contact_id"]


def test_not_a_duplicate_is_remembered_on_both_leads_and_the_pair_is_never_flagged_again(
    service: LeadService,
) -> None:
    first = form(service, LeadDetails(contact_name="Ada Lovelace", email="shared@example.com"))
    second = form(service, LeadDetails(contact_name="Ada Byron", email="shared@example.com"))
    assert service.get_lead(second).duplicate_of == first
    service.dismiss_duplicate(lead_id=second, of_id=first, meta=meta())
    assert service.get_lead(second).duplicate_of is None
    assert service.get_lead(second).distinct_from == {first}
    assert service.get_lead(first).distinct_from == {second}
    assert isinstance(service.history(second)[-1], DuplicateDismissed)
    for a, b in ((second, first), (first, second)):
        with pytest.raises(DeclaredDistinct):
            service.mark_duplicate(lead_id=a, of_lead_id=b, matched_on="email", meta=meta())


def test_declaring_not_a_duplicate_twice_records_it_once(service: LeadService) -> None:
    first = form(service, LeadDetails(contact_name="Ada Lovelace", email="shared@example.com"))
    second = form(service, LeadDetails(contact_name="Ada Byron", email="shared@example.com"))
    for _ in range(2):
        service.dismiss_duplicate(lead_id=second, of_id=first, meta=meta())
    assert sum(isinstance(e, DuplicateDismissed) for e in service.history(second)) == 1


def test_not_a_duplicate_of_a_contact_means_it_is_never_merged_into_it(service: LeadService) -> None:
    customer = converted(service)
    lead = form(service, LeadDetails(contact_name="G. Hopper", email="grace@example.com"))
    service.dismiss_duplicate(lead_id=lead, of_id=customer["contact_id"], meta=meta())
    assert service.get_lead(lead).duplicate_of is None
    with pytest.raises(DeclaredDistinct):
        service.merge_into_contact(lead_id=lead, contact_id=customer["contact_id"], meta=meta())
