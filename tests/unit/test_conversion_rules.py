"""Converting a qualified lead: an opportunity, and the account and contact it belongs to, either
existing ones (named by the caller or on the lead) or new ones made from the lead's details."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from domain.customers import Account, Contact, Opportunity
from domain.errors import ConversionRequirementsUnmet, NotFound
from domain.lead_events import PersonalDataErased
from domain.picklists import BantItem, LeadStatus
from domain.service import LeadService
from domain.values import LeadDetails
from tests.unit.test_commands_through_the_service import new, prepare_qualified
from tests.unit.test_service import ADA, TERMS, meta

FULL = LeadDetails.model_validate(
    {
        "contact_name": "Grace Hopper",
        "email": "grace@example.com",
        "phone": "+442079460958",
        "company": "Compilers Inc",
        "job_title": "Rear Admiral",
        "industry": "software",
        "address": {"city": "Arlington", "country": "US"},
    }
)


def qualified(service: LeadService, details: LeadDetails = FULL) -> UUID:
    lead = new(service, details)
    prepare_qualified(service, lead)
    return lead


def get(service: LeadService, kind: type, aggregate_id: UUID) -> object:
    found: object = service.repository.get(aggregate_id)
    assert isinstance(found, kind)
    return found


def test_a_new_account_and_contact_are_made_from_the_leads_details(service: LeadService) -> None:
    lead = qualified(service)
    created = service.convert(lead_id=lead, terms=TERMS, meta=meta()).created
    account = get(service, Account, created["account_id"])
    contact = get(service, Contact, created["contact_id"])
    opportunity = get(service, Opportunity, created["opportunity_id"])
    assert isinstance(account, Account) and isinstance(contact, Contact) and isinstance(opportunity, Opportunity)
    assert (account.name, account.industry, account.address) == ("Compilers Inc", "software", FULL.address)
    assert (contact.name, contact.email, contact.phone, contact.job_title) == (
        "Grace Hopper",
        "grace@example.com",
        "+442079460958",
        "Rear Admiral",
    )
    assert contact.account_id == account.id and opportunity.terms == TERMS


def test_a_lead_without_a_company_makes_an_account_named_after_the_person(service: LeadService) -> None:
    lead = qualified(service, LeadDetails(contact_name="Ada", email="ada@example.com"))
    created = service.convert(lead_id=lead, terms=TERMS, meta=meta()).created
    account = get(service, Account, created["account_id"])
    assert isinstance(account, Account) and (account.name, account.industry, account.address) == ("Ada", None, None)


def test_converting_into_an_existing_contact_links_it_and_makes_no_new_one(service: LeadService) -> None:
    first = service.convert(lead_id=qualified(service), terms=TERMS, meta=meta()).created
    lead = qualified(service)
    contacts_before = count(service, Contact)
    assert contacts_before == 1
    result = service.convert(lead_id=lead, terms=TERMS, meta=meta(), contact_id=first["contact_id"])
    assert result.created["contact_id"] == first["contact_id"]
    assert count(service, Contact) == contacts_before
    links = service.get_lead(lead).conversion
    assert links is not None and (links.contact_id, links.created_contact) == (first["contact_id"], False)
    assert (links.account_id, links.created_account) == (first["account_id"], False), "the company's account"
    contact = get(service, Contact, first["contact_id"])
    assert isinstance(contact, Contact) and len(contact.lead_ids) == 2 and contact.lead_ids[-1] == lead


def test_a_lead_linked_to_an_account_and_contact_at_capture_converts_into_them(service: LeadService) -> None:
    first = service.convert(lead_id=qualified(service), terms=TERMS, meta=meta()).created
    linked = FULL.model_copy(update={"account_id": first["account_id"], "contact_id": first["contact_id"]})
    lead = qualified(service, linked)
    result = service.convert(lead_id=lead, terms=TERMS, meta=meta())
    assert (result.created["account_id"], result.created["contact_id"]) == (first["account_id"], first["contact_id"])
    links = service.get_lead(lead).conversion
    assert links is not None and not links.created_account and not links.created_contact


@pytest.mark.parametrize(("kind", "argument"), [("account", "account_id"), ("contact", "contact_id")])
def test_converting_into_an_account_or_contact_that_does_not_exist_is_refused(
    service: LeadService, kind: str, argument: str
) -> None:
    lead, unknown = qualified(service), uuid4()
    with pytest.raises(NotFound) as missing:
        service.convert(lead_id=lead, terms=TERMS, meta=meta(), **{argument: unknown})  # type: ignore[arg-type]
    assert (missing.value.kind, missing.value.key) == (kind, unknown)
    assert service.get_lead(lead).status is LeadStatus.QUALIFIED


def test_a_conversion_names_every_bant_item_still_missing(service: LeadService) -> None:
    """A qualified lead can lose BANT answers afterwards; conversion checks them again."""
    lead = qualified(service)
    service.update_bant(lead_id=lead, changes={BantItem.AUTHORITY: None, BantItem.TIMELINE: None}, meta=meta())
    with pytest.raises(ConversionRequirementsUnmet) as refused:
        service.convert(lead_id=lead, terms=TERMS, meta=meta())
    assert refused.value.missing == ["authority", "timeline"]
    assert str(refused.value) == "conversion requires a complete BANT checklist; missing: authority, timeline"


def test_erasing_a_converted_lead_names_the_contact_its_conversion_made_and_only_that_one(
    service: LeadService,
) -> None:
    made = qualified(service)
    created = service.convert(lead_id=made, terms=TERMS, meta=meta()).created
    linked = qualified(service, ADA)
    service.convert(lead_id=linked, terms=TERMS, meta=meta(), contact_id=created["contact_id"])
    for lead, contact in [(made, created["contact_id"]), (linked, None)]:
        service.erase_personal_data(lead_id=lead, request="DSR-4", meta=meta())
        erased = service.history(lead)[-1]
        assert isinstance(erased, PersonalDataErased)
        assert (erased.contact_id, erased.request) == (contact, "DSR-4")


def count(service: LeadService, kind: type) -> int:
    """How many aggregates of ``kind`` were ever registered."""
    registered = f"{kind.__module__}:{kind.__qualname__}.Registered"
    return sum(1 for n in service.recorder.select_notifications(start=1, limit=10_000) if n.topic == registered)


def company(name: str, email: str) -> LeadDetails:
    return FULL.model_copy(update={"company": name, "email": email, "phone": None})


def test_two_leads_of_one_company_however_written_convert_into_one_account(service: LeadService) -> None:
    first = service.convert(
        lead_id=qualified(service, company("ACME Corp.", "a@acme.example")), terms=TERMS, meta=meta()
    )
    second = service.convert(
        lead_id=qualified(service, company("Acme Corp", "b@acme.example")), terms=TERMS, meta=meta()
    )
    assert second.created["account_id"] == first.created["account_id"]
    assert second.created["contact_id"] != first.created["contact_id"], "two people, two contacts"
    assert count(service, Account) == 1


def test_a_company_is_also_found_by_its_email_domain_but_never_by_a_free_mail_one(service: LeadService) -> None:
    first = service.convert(lead_id=qualified(service, company("Acme", "a@acme.example")), terms=TERMS, meta=meta())
    by_domain = qualified(service, company("ACME Europe GmbH", "c@acme.example"))
    assert service.conversion_suggestion(by_domain).account_id == first.created["account_id"]
    gmail = service.convert(lead_id=qualified(service, company("Zeta", "z@gmail.com")), terms=TERMS, meta=meta())
    other_gmail = qualified(service, company("Omega", "o@gmail.com"))
    assert service.conversion_suggestion(other_gmail).account_id is None
    assert gmail.created["account_id"] != first.created["account_id"]


def test_the_same_person_converts_into_their_existing_contact(service: LeadService) -> None:
    first = service.convert(lead_id=qualified(service, company("Acme", "ada@acme.example")), terms=TERMS, meta=meta())
    again = qualified(service, company("Acme", "ADA@acme.example"))
    suggestion = service.conversion_suggestion(again)
    assert (suggestion.account_id, suggestion.contact_id) == (first.created["account_id"], first.created["contact_id"])
    assert set(suggestion.matched_on) == {"account_name", "account_domain", "contact_email"}


def test_asking_for_a_new_account_makes_one_even_when_the_company_has_one(service: LeadService) -> None:
    first = service.convert(lead_id=qualified(service, company("Acme", "a@acme.example")), terms=TERMS, meta=meta())
    lead = qualified(service, company("Acme", "b@acme.example"))
    separate = service.convert(lead_id=lead, terms=TERMS, meta=meta(), new_account=True)
    assert separate.created["account_id"] != first.created["account_id"]
    links = service.get_lead(lead).conversion
    assert links is not None and links.created_account
