"""How the duplicate check normalises what it compares (pure functions of the dedupe index)."""

from __future__ import annotations

import pytest

from domain.duplicates import company_key, keys_of, name_key


@pytest.mark.parametrize(
    ("a", "b"), [("Acme Inc.", "ACME"), ("The Acme Company", "acme"), ("Müller GmbH", "Muller"), ("Acme, Ltd", "acme")]
)
def test_legal_suffixes_case_accents_and_punctuation_do_not_make_companies_differ(a: str, b: str) -> None:
    assert company_key(a) == company_key(b)


def test_a_company_that_is_only_a_suffix_has_no_key() -> None:
    assert company_key("Inc.") is None and company_key(None) is None


def test_names_compare_without_accents_punctuation_or_case() -> None:
    assert name_key("  José  O'Neil ") == name_key("jose o neil")


def test_emails_match_whatever_their_case() -> None:
    assert keys_of({"contact_name": "A", "email": "Ada@Example.com"})["email_key"] == "ada@example.com"
