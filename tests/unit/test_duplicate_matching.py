"""The duplicate policy: which existing leads look like a new one (same email, same phone, or a
similar name at the same company), and what each entrance may do about it."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.duplicates import (
    Candidate,
    Indexed,
    OnDuplicate,
    PossibleDuplicate,
    Screened,
    associated,
    company_key,
    flag,
    keys_of,
    matches,
    name_key,
    screen,
    words,
)
from domain.errors import InvalidCommand
from domain.values import EventMeta, LeadDetails
from tests.unit.conftest import in_memory_service


def test_words_are_lower_case_ascii_letters_and_digits() -> None:
    assert words("  Zoë O'Brien-Smith, 3rd ") == ["zoe", "o", "brien", "smith", "3rd"]


def test_name_and_company_keys_are_their_words_joined_by_spaces_without_legal_suffixes() -> None:
    assert name_key("Dr. JOSÉ  Müller") == "dr jose muller"
    assert company_key("The Analytical Engine Company, Ltd.") == "analytical engine"
    assert company_key("") is None


def test_the_keys_of_a_lead_are_its_raw_fields_and_their_normal_forms() -> None:
    details = {
        "contact_name": "Ada  LOVELACE",
        "email": "Ada@Example.COM",
        "phone": "+442079460958",
        "company": "Engines Ltd",
        "job_title": "Countess",
    }
    assert keys_of(details) == {
        "contact_name": "Ada  LOVELACE",
        "email": "Ada@Example.COM",
        "phone": "+442079460958",
        "company": "Engines Ltd",
        "email_key": "ada@example.com",
        "phone_key": "+442079460958",
        "name_key": "ada lovelace",
        "company_key": "engines",
    }


def test_a_lead_without_email_phone_or_company_has_no_such_keys() -> None:
    keys = keys_of({"contact_name": "Ada"})
    assert (keys["email_key"], keys["phone_key"], keys["company_key"], keys["email"]) == (None, None, None, None)


def indexed(name: str, email: str | None = None, phone: str | None = None, company: str | None = None) -> Indexed:
    return Indexed(uuid4(), name, email, phone, name_key(name), company_key(company))


def new_keys(**details: Any) -> dict[str, Any]:
    return keys_of({"contact_name": "Ada Lovelace"} | details)


def test_a_lead_with_the_same_email_or_phone_matches_on_it() -> None:
    by_email = indexed("Someone Else", email="ada@example.com")
    by_phone = indexed("Another", phone="+442079460958")
    stranger = indexed("Stranger", email="s@example.com", phone="+441632960961")
    found = matches(new_keys(email="ADA@example.com", phone="+442079460958"), [by_email, stranger, by_phone])
    assert found == [
        Candidate(by_email.lead_id, "Someone Else", ("email",)),
        Candidate(by_phone.lead_id, "Another", ("phone",)),
    ]


def test_leads_without_email_or_phone_do_not_match_each_other_on_them() -> None:
    assert matches(new_keys(), [indexed("Bob Smith"), indexed("Carol Jones", company="Acme")]) == []


def test_a_similar_name_matches_only_at_the_same_company() -> None:
    same_company = indexed("Ada Lovelace", company="Engines Inc.")
    close_name = indexed("Ada Lovelase", company="Engines")
    other_company = indexed("Ada Lovelace", company="Looms")
    no_company = indexed("Ada Lovelace")
    different_name = indexed("Charles Babbage", company="Engines")
    found = matches(
        new_keys(company="Engines Ltd"), [other_company, same_company, no_company, close_name, different_name]
    )
    assert [c.lead_id for c in found] == [same_company.lead_id, close_name.lead_id]
    assert {c.matched_on for c in found} == {("name_and_company",)}


def test_a_name_matches_from_a_similarity_of_88_on() -> None:
    """token-sort ratio of "ada lovelace" to "ada lovelazes" is exactly 88, to "ada lovelady" 83."""
    at_threshold = indexed("Ada Lovelazes", company="Engines")
    assert [c.lead_id for c in matches(new_keys(company="Engines"), [at_threshold])] == [at_threshold.lead_id]
    assert matches(new_keys(company="Engines"), [indexed("Ada Lovelady", company="Engines")]) == []


def test_the_best_matches_come_first_and_at_most_the_limit() -> None:
    everything = indexed("Ada Lovelace", email="ada@example.com", phone="+442079460958", company="Engines")
    email_only = indexed("A. L.", email="ada@example.com")
    keys = new_keys(email="ada@example.com", phone="+442079460958", company="Engines")
    found = matches(keys, [email_only, everything])
    assert [(c.lead_id, c.matched_on) for c in found] == [
        (everything.lead_id, ("email", "phone", "name_and_company")),
        (email_only.lead_id, ("email",)),
    ]
    many = [indexed(f"Lead {i}", email="ada@example.com") for i in range(12)]
    assert len(matches(keys, many)) == 10
    assert [c.lead_id for c in matches(keys, many, limit=2)] == [many[0].lead_id, many[1].lead_id]


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


def links_of(lead_id: UUID) -> tuple[UUID | None, UUID | None]:
    return (ACCOUNT, CONTACT) if lead_id == EXISTING else (None, None)


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
    linked = associated(ADA, EXISTING, lambda _: (ACCOUNT, None))
    assert (linked.account_id, linked.contact_id) == (ACCOUNT, None)


def test_associating_with_a_lead_that_has_no_account_or_contact_is_refused() -> None:
    lonely = uuid4()
    with pytest.raises(InvalidCommand) as refused:
        associated(ADA, lonely, links_of)
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
    assert [(c.lead_id, c.contact_name, c.matched_on) for c in refused.value.candidates] == [
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
        assert refused.value.candidates[0].lead_id == first.lead_id, written


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
