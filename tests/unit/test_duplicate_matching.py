"""What each door does with a look-alike: the API caller's choice (reject, create, associate),
forms and intake flag and never refuse, and the write side's claims that decide races."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from domain.duplicate_policy import Candidate
from domain.duplicates import (
    Combined,
    OnDuplicate,
    PossibleDuplicate,
    Screened,
    associated,
    flag,
    flag_many,
    screen,
)
from domain.errors import InvalidCommand
from domain.values import EventMeta, LeadDetails
from tests.unit.conftest import in_memory_service

ADA = LeadDetails(contact_name="Ada", email="ada@example.com")
EXISTING = uuid4()
ACCOUNT, CONTACT = uuid4(), uuid4()


class Finder:
    def __init__(self, found: list[Candidate]) -> None:
        self.found = found
        self.asked: list[LeadDetails] = []

    def candidates(self, details: LeadDetails) -> list[Candidate]:
        self.asked.append(details)
        return self.found


def links_of(candidate: Candidate) -> tuple[UUID | None, UUID | None]:
    return (ACCOUNT, CONTACT) if candidate.record_id == EXISTING else (None, None)


LOOKALIKE = Candidate(EXISTING, "Ada L.", ("email",))


@pytest.mark.parametrize("choice", [None, OnDuplicate.REJECT])
def test_a_lead_that_looks_like_existing_ones_is_refused_by_default_naming_them(choice: OnDuplicate | None) -> None:
    other = Candidate(uuid4(), "A. Lovelace", ("phone",))
    with pytest.raises(PossibleDuplicate) as refused:
        screen(Finder([LOOKALIKE, other]), links_of, choice)(ADA)
    assert refused.value.candidates == [LOOKALIKE, other]
    assert str(refused.value) == "2 existing lead(s) look like this one"


@pytest.mark.parametrize("choice", [None, OnDuplicate.REJECT, OnDuplicate.ASSOCIATE])
def test_a_lead_like_no_other_passes_unchanged_and_must_claim_its_email_and_phone_alone(
    choice: OnDuplicate | None,
) -> None:
    finder = Finder([])
    assert screen(finder, links_of, choice)(ADA) == Screened(ADA, exclusive=True)
    assert finder.asked == [ADA]


def test_a_lead_created_anyway_goes_through_as_a_possible_duplicate_of_its_look_alikes() -> None:
    finder = Finder([LOOKALIKE])
    assert screen(finder, links_of, OnDuplicate.CREATE)(ADA) == Screened(ADA, (LOOKALIKE,))


def test_forms_and_intake_flag_a_look_alike_and_never_refuse_it() -> None:
    assert flag(Finder([LOOKALIKE]))(ADA) == Screened(ADA, (LOOKALIKE,))
    assert flag(Finder([]))(ADA) == Screened(ADA)


def test_an_associated_lead_gets_the_best_matchs_account_and_contact() -> None:
    other = Candidate(uuid4(), "A. Lovelace", ("phone",))
    linked = screen(Finder([LOOKALIKE, other]), links_of, OnDuplicate.ASSOCIATE)(ADA)
    assert (linked.details.account_id, linked.details.contact_id) == (ACCOUNT, CONTACT)
    assert linked.details.model_copy(update={"account_id": None, "contact_id": None}) == ADA
    assert (linked.suspects, linked.exclusive) == ((), False)


def test_associating_with_a_lead_that_has_only_an_account_takes_the_account() -> None:
    linked = associated(ADA, LOOKALIKE, lambda _: (ACCOUNT, None))
    assert (linked.account_id, linked.contact_id) == (ACCOUNT, None)


def test_associating_with_a_lead_that_has_no_account_or_contact_is_refused() -> None:
    lonely = uuid4()
    with pytest.raises(InvalidCommand) as refused:
        associated(ADA, Candidate(lonely, "", ("email",)), links_of)
    assert str(refused.value) == (
        f"lead {lonely} has no account or contact to associate with; use on_duplicate=create or reject"
    )
    assert refused.value.field == "on_duplicate"


def test_a_capture_that_must_be_new_is_refused_naming_the_lead_that_holds_its_email() -> None:
    service = in_memory_service()
    first = service.capture_lead(details=ADA, meta=EventMeta(actor="a"), screen=screen(Finder([]), links_of, None))
    with pytest.raises(PossibleDuplicate) as refused:
        service.capture_lead(
            details=ADA.model_copy(update={"contact_name": "Someone else"}),
            meta=EventMeta(actor="a"),
            screen=screen(Finder([]), links_of, None),
        )
    assert [(c.record_id, c.contact_name, c.matched_on) for c in refused.value.candidates] == [
        (first.lead_id, "Ada", ("email",))
    ]


def test_one_phone_written_five_ways_is_one_identity() -> None:
    service = in_memory_service()
    forms = ["+44 20 7946 0958", "+442079460958", "(020) 7946 0958", "020-7946-0958", "+44 (0)20 7946 0958"]
    must_be_new = screen(Finder([]), links_of, None)
    first = service.capture_lead(
        details=LeadDetails(contact_name="Ada", phone=forms[0]), meta=EventMeta(actor="a"), screen=must_be_new
    )
    for written in forms[1:]:
        details = LeadDetails.model_validate({"contact_name": "Ada", "phone": written, "address": {"country": "GB"}})
        with pytest.raises(PossibleDuplicate) as refused:
            service.capture_lead(details=details, meta=EventMeta(actor="a"), screen=must_be_new)
        assert refused.value.candidates[0].record_id == first.lead_id, written


def test_a_look_alike_the_read_model_has_not_seen_yet_is_still_flagged_by_its_claims() -> None:
    service = in_memory_service()
    first = service.capture_lead(details=ADA, meta=EventMeta(actor="a"), screen=flag(Finder([])))
    second = service.capture_lead(details=ADA, meta=EventMeta(actor="form"), screen=flag(Finder([])))
    assert service.get_lead(second.lead_id).duplicate_of == first.lead_id
    assert service.get_lead(first.lead_id).duplicate_of is None


def test_merging_or_erasing_a_lead_frees_its_email_for_a_new_lead() -> None:
    service = in_memory_service()
    must_be_new = screen(Finder([]), links_of, None)
    master = service.capture_lead(details=ADA.model_copy(update={"email": "m@example.com"}), meta=EventMeta(actor="a"))
    duplicate = service.capture_lead(details=ADA, meta=EventMeta(actor="a"), screen=must_be_new)
    service.merge(master_id=master.lead_id, duplicate_ids=[duplicate.lead_id], meta=EventMeta(actor="a"))
    again = service.capture_lead(details=ADA, meta=EventMeta(actor="a"), screen=must_be_new)
    service.erase_personal_data(lead_id=again.lead_id, meta=EventMeta(actor="admin"))
    service.capture_lead(details=ADA, meta=EventMeta(actor="a"), screen=must_be_new)


def test_changing_a_leads_email_moves_its_claim() -> None:
    service = in_memory_service()
    must_be_new = screen(Finder([]), links_of, None)
    lead = service.capture_lead(details=ADA, meta=EventMeta(actor="a"), screen=must_be_new).lead_id
    service.update_details(lead_id=lead, changes={"email": "new@example.com"}, meta=EventMeta(actor="a"))
    service.capture_lead(details=ADA, meta=EventMeta(actor="a"), screen=must_be_new)
    with pytest.raises(PossibleDuplicate):
        service.capture_lead(
            details=ADA.model_copy(update={"email": "new@example.com"}), meta=EventMeta(actor="a"), screen=must_be_new
        )


ACME_ACCOUNT = Candidate(uuid4(), "Acme", ("company",), "account")


def test_an_account_with_the_leads_company_is_not_a_duplicate_but_can_be_associated_with() -> None:
    assert screen(Finder([ACME_ACCOUNT]), links_of, None)(ADA) == Screened(ADA, exclusive=True)
    assert flag(Finder([ACME_ACCOUNT]))(ADA) == Screened(ADA)
    linked = screen(Finder([ACME_ACCOUNT]), lambda c: (c.record_id, None), OnDuplicate.ASSOCIATE)(ADA)
    assert (linked.details.account_id, linked.details.contact_id) == (ACME_ACCOUNT.record_id, None)


def test_finders_combined_list_a_record_found_twice_once_with_every_rule_and_contacts_first() -> None:
    lead = Candidate(uuid4(), "Ada", ("email",))
    contact = uuid4()
    found = Combined(
        Finder([lead, Candidate(contact, "Ada L.", ("name_and_company",), "contact")]),
        Finder([Candidate(contact, "", ("email",), "contact"), ACME_ACCOUNT]),
    ).candidates(ADA)
    assert found == [Candidate(contact, "Ada L.", ("name_and_company", "email"), "contact"), lead, ACME_ACCOUNT]


def test_a_batch_screened_at_once_is_flagged_as_each_lead_would_be_alone() -> None:
    """Intake screens a polled batch with one look-up per finder (issue #21): the same
    look-alikes per lead, in order, as one look-up each, and the write side's claims read."""
    service = in_memory_service()
    held = service.capture_lead(details=ADA, meta=EventMeta(actor="a")).lead_id
    grace = LeadDetails(contact_name="Grace", email="grace@example.com")
    fuzzy = Finder([LOOKALIKE])
    batch = [ADA, grace, ADA.model_copy(update={"phone": "+442079460958"})]
    alone = [flag(Combined(fuzzy, service))(d) for d in batch]
    together = flag_many(Combined(fuzzy, service), batch, claims_read=True)
    assert [s.suspects for s in together] == [s.suspects for s in alone]
    assert [s.details for s in together] == batch and all(s.claims_read for s in together)
    assert [c.record_id for c in together[0].suspects] == [EXISTING, held]
