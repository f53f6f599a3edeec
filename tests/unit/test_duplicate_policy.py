# ruff: noqa: RUF001 (names and companies in other scripts are what this tests)
"""The one duplicate policy (``domain.duplicate_policy``), rule by rule: email, E.164 phone, fuzzy
person name (Jaro-Winkler: first >= 85 or a name variant, last >= 90) plus company, names in every
script, and never a match on an empty key."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from domain.duplicate_policy import (
    FIRST_NAME_MATCH,
    LAST_NAME_MATCH,
    Candidate,
    Indexed,
    PersonName,
    company_key,
    first_names_match,
    keys_of,
    last_names_match,
    matched_rules,
    matches,
    name_key,
    person_name,
    words,
)
from domain.values import LeadDetails


def indexed(
    name: str,
    email: str | None = None,
    phone: str | None = None,
    company: str | None = None,
    kind: str = "lead",
) -> Indexed:
    return Indexed(uuid4(), name, email, phone, name_key(name), company_key(company), kind)


def new(name: str = "Ada Lovelace", **details: Any) -> dict[str, Any]:
    return keys_of({"contact_name": name} | details)


# -- keys ------------------------------------------------------------------------------------


def test_words_are_lower_case_ascii_letters_and_digits() -> None:
    assert words("  Zoë O'Brien-Smith, 3rd ") == ["zoe", "o", "brien", "smith", "3rd"]


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("Мария Иванова", "mariya ivanova"),
        ("Иван Петров", "ivan petrov"),
        ("王小明", "wang xiao ming"),
        ("Γιώργος Παπαδόπουλος", "giorgos papadopoylos"),
        ("José Müller", "jose muller"),
    ],
)
def test_names_in_every_script_are_transliterated_not_dropped(written: str, key: str) -> None:
    assert name_key(written) == key


@pytest.mark.parametrize(
    ("a", "b"), [("Acme Inc.", "ACME"), ("The Acme Company", "acme"), ("Müller GmbH", "Muller"), ("Acme, Ltd", "acme")]
)
def test_legal_suffixes_case_accents_and_punctuation_do_not_make_companies_differ(a: str, b: str) -> None:
    assert company_key(a) == company_key(b)


def test_a_company_that_is_only_a_suffix_or_nothing_has_no_key() -> None:
    assert company_key("Inc.") is None and company_key(None) is None and company_key("") is None


def test_the_keys_of_a_lead_are_its_raw_fields_and_their_normal_forms() -> None:
    details = {"contact_name": "Ada  LOVELACE", "email": " Ada@Example.COM", "phone": "+442079460958"}
    assert keys_of(details | {"company": "Engines Ltd"}) == {
        **details,
        "company": "Engines Ltd",
        "email_key": "ada@example.com",
        "phone_key": "+442079460958",
        "name_key": "ada lovelace",
        "company_key": "engines",
    }


def test_a_person_name_is_its_first_and_last_word_without_titles() -> None:
    assert person_name("Dr. Ada King Lovelace") == PersonName("ada", "lovelace")
    assert person_name("Lovelace") == PersonName("", "lovelace")
    assert person_name("王") == PersonName("", "wang")
    assert person_name("!!!") == PersonName("", "")


# -- the email and phone rules ---------------------------------------------------------------


def test_rule_email_the_same_normalised_email_matches() -> None:
    other = indexed("Someone Else", email="ada@example.com")
    assert matched_rules(new(email="ADA@example.com "), other) == ("email",)


def test_rule_phone_the_same_e164_phone_matches() -> None:
    phone = LeadDetails(contact_name="A", phone="+44 (0)20 7946 0958").phone
    assert matched_rules(new(phone=phone), indexed("Another", phone="+442079460958")) == ("phone",)


def test_rule_email_and_phone_never_match_on_an_empty_key() -> None:
    assert matched_rules(new(email="", phone=""), indexed("Ada Lovelace", email=None, phone=None)) == ()


# -- the name and company rule ---------------------------------------------------------------


def test_rule_name_and_company_a_similar_name_matches_only_at_the_same_company() -> None:
    same_company = indexed("Ada Lovelace", company="Engines Inc.")
    typo = indexed("Ada Lovelase", company="Engines")
    other_company = indexed("Ada Lovelace", company="Looms")
    no_company = indexed("Ada Lovelace")
    different_name = indexed("Charles Babbage", company="Engines")
    found = matches(new(company="Engines Ltd"), [other_company, same_company, no_company, typo, different_name])
    assert [c.record_id for c in found] == [same_company.record_id, typo.record_id]
    assert {c.matched_on for c in found} == {("name_and_company",)}


def test_rule_first_name_from_jaro_winkler_85() -> None:
    assert FIRST_NAME_MATCH == 85
    assert first_names_match("jon", "john")  # 93
    assert first_names_match("martha", "marhta")  # 96
    assert not first_names_match("ada", "ava")  # 78
    assert not first_names_match("maria", "ivan")


def test_rule_first_name_or_a_variant_of_it() -> None:
    assert first_names_match("bob", "robert")
    assert first_names_match("bill", "william")
    assert first_names_match("peggy", "margaret")
    assert not first_names_match("bob", "william")


def test_rule_last_name_from_jaro_winkler_90() -> None:
    assert LAST_NAME_MATCH == 90
    assert last_names_match("lovelace", "lovelase")  # 95
    assert not last_names_match("smith", "smyth")  # 89
    assert not last_names_match("ivanova", "petrov")


def test_rule_name_and_company_needs_both_names_to_match() -> None:
    at = {"company": "Engines"}
    assert matched_rules(new("Robert Smith", **at), indexed("Bob Smith", company="Engines")) == ("name_and_company",)
    assert matched_rules(new("Robert Smith", **at), indexed("Robert Smyth", company="Engines")) == ()
    assert matched_rules(new("Robert Smith", **at), indexed("Alice Smith", company="Engines")) == ()


def test_names_in_other_scripts_never_match_a_different_person_at_the_same_company() -> None:
    """The bug this policy fixes: both names used to become empty strings, which scored 100."""
    ivan = indexed("Иван Петров", company="Рога и копыта")
    assert matches(new("Мария Иванова", company="Рога и копыта"), [ivan]) == []
    same = indexed("Мария Иванова", company="Рога и копыта")
    assert [c.record_id for c in matches(new("Мария Иванова", company="Рога и копыта"), [same])] == [same.record_id]
    assert [c.record_id for c in matches(new("Мариа Иванова", company="Рога и копыта"), [same])] == [same.record_id]


@pytest.mark.parametrize(("a", "b"), [("!!!", "???"), ("Ada", "Ada"), ("", ""), ("王", "王")])
def test_rule_name_and_company_never_matches_on_an_empty_first_or_last_name(a: str, b: str) -> None:
    assert matched_rules(new(a, company="Engines"), indexed(b, company="Engines")) == ()


def test_rule_name_and_company_never_matches_without_a_company() -> None:
    assert matched_rules(new("Ada Lovelace"), indexed("Ada Lovelace")) == ()
    assert matched_rules(new("Ada Lovelace", company="Inc."), indexed("Ada Lovelace", company="Ltd")) == ()


# -- leads, contacts and accounts ------------------------------------------------------------


def test_rule_company_an_account_matches_by_its_company_only() -> None:
    acme = indexed("Acme", company="Acme Inc", kind="account")
    assert matched_rules(new(company="ACME"), acme) == ("company",)
    assert matched_rules(new(), acme) == ()
    assert matched_rules(new(email="x@acme.com"), indexed("", email="x@acme.com", kind="account")) == ()


def test_contacts_match_by_the_same_rules_as_leads() -> None:
    contact = indexed("Ada Lovelace", email="ada@example.com", company="Engines", kind="contact")
    assert matched_rules(new(email="ada@example.com", company="Engines"), contact) == ("email", "name_and_company")


def test_contacts_come_first_then_leads_by_rules_matched_then_accounts_and_at_most_the_limit() -> None:
    keys = new(email="ada@example.com", phone="+442079460958", company="Engines")
    account = indexed("Engines", company="Engines", kind="account")
    lead_email = indexed("A. L.", email="ada@example.com")
    lead_all = indexed("Ada Lovelace", email="ada@example.com", phone="+442079460958", company="Engines")
    contact = indexed("Someone", phone="+442079460958", kind="contact")
    found = matches(keys, [account, lead_email, lead_all, contact])
    assert found == [
        Candidate(contact.record_id, "Someone", ("phone",), "contact"),
        Candidate(lead_all.record_id, "Ada Lovelace", ("email", "phone", "name_and_company")),
        Candidate(lead_email.record_id, "A. L.", ("email",)),
        Candidate(account.record_id, "Engines", ("company",), "account"),
    ]
    many = [indexed(f"Lead {i}", email="ada@example.com") for i in range(12)]
    assert len(matches(keys, many)) == 10
    assert [c.record_id for c in matches(keys, many, limit=2)] == [many[0].record_id, many[1].record_id]
