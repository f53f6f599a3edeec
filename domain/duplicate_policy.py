"""The one duplicate policy: what makes a new lead look like an existing lead, contact or account.

Every door (API, web forms, intake, imports, the duplicate scan) asks this module; none has a
rule of its own. The rules, after Salesforce's Standard Lead Duplicate Rule:

==================  =====================================================================
rule                matches when
==================  =====================================================================
``email``           the normalised emails (trimmed, lower case) are equal and not empty
``phone``           the E.164 phones are equal and not empty
``name_and_company``  the normalised companies are equal and not empty, both names have a first
                    and a last name, the last names score Jaro-Winkler >= ``LAST_NAME_MATCH``
                    (90), and the first names score >= ``FIRST_NAME_MATCH`` (85) or are
                    variants of one name ("Bob" / "Robert", from the ``nicknames`` data set)
``company``         (accounts only) the normalised company name or email domain is the account's
==================  =====================================================================

Names in every script are transliterated with ``anyascii`` before they are compared ("Мария
Иванова" is "mariya ivanova"), and an empty key never matches anything: a name that
transliterates to nothing, or has no last name, cannot match on name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from uuid import UUID

from anyascii import anyascii
from nicknames import NickNamer
from rapidfuzz.distance import JaroWinkler

COMPANY_SUFFIXES = frozenset(
    {
        "inc",
        "incorporated",
        "ltd",
        "limited",
        "llc",
        "gmbh",
        "corp",
        "corporation",
        "co",
        "company",
        "sa",
        "sas",
        "bv",
        "ag",
        "plc",
        "the",
    }
)
HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "jr", "sr", "ii", "iii", "phd"})
FIRST_NAME_MATCH = 85
"""Jaro-Winkler similarity (0-100) from which two first names are the same (Salesforce: 85)."""
LAST_NAME_MATCH = 90
"""Jaro-Winkler similarity (0-100) from which two last names are the same (Salesforce: 90)."""

_NICKNAMES = NickNamer()


def words(text: str) -> list[str]:
    """Lower-case ASCII words of ``text`` in any script: transliterated, and a run of syllables
    that a script writes without spaces ("王小明" is "WangXiaoMing") split into its syllables."""
    plain = " ".join(re.sub(r"(?<=[a-z])(?=[A-Z])", " ", anyascii(t)) if not t.isascii() else t for t in text.split())
    return re.findall(r"[a-z0-9]+", plain.lower())


def name_key(name: str) -> str:
    return " ".join(words(name))


def company_key(company: str | None) -> str | None:
    key = " ".join(w for w in words(company or "") if w not in COMPANY_SUFFIXES)
    return key or None


def email_key(email: str | None) -> str | None:
    return (email or "").strip().lower() or None


@dataclass(frozen=True)
class PersonName:
    """First and last name as the policy compares them; either may be empty (and then never matches)."""

    first: str
    last: str


def person_name(name: str) -> PersonName:
    parts = [w for w in words(name) if w not in HONORIFICS and not w.isdigit()]
    if len(parts) < 2:
        return PersonName("", parts[0] if parts else "")
    return PersonName(parts[0], parts[-1])


@lru_cache(maxsize=65536)
def variants(first: str) -> frozenset[str]:
    """The names ``first`` is a nickname or canonical form of (and itself)."""
    return frozenset({first} | _NICKNAMES.nicknames_of(first) | _NICKNAMES.canonicals_of(first))


def first_names_match(a: str, b: str) -> bool:
    if not a or not b:
        return False
    return JaroWinkler.normalized_similarity(a, b) * 100 >= FIRST_NAME_MATCH or bool(variants(a) & variants(b))


def last_names_match(a: str, b: str) -> bool:
    return bool(a and b) and JaroWinkler.normalized_similarity(a, b) * 100 >= LAST_NAME_MATCH


def same_person_name(a: PersonName, b: PersonName) -> bool:
    return last_names_match(a.last, b.last) and first_names_match(a.first, b.first)


RAW = ("contact_name", "email", "phone", "company")
"""The lead fields the keys are made from."""


def keys_of(details: dict[str, Any]) -> dict[str, Any]:
    """The raw matching fields (of lead details as JSON) and their keys."""
    return {
        **{f: details.get(f) for f in RAW},
        "email_key": email_key(details.get("email")),
        "phone_key": details.get("phone") or None,
        "name_key": name_key(details.get("contact_name") or ""),
        "company_key": company_key(details.get("company")),
    }


@dataclass(frozen=True)
class Candidate:
    """An existing record that looks like a new lead: a lead, a contact or an account."""

    record_id: UUID
    contact_name: str
    matched_on: tuple[str, ...]
    """email, phone, name_and_company and/or company."""
    kind: str = "lead"


@dataclass(frozen=True)
class Indexed:
    """An existing record's keys, as a finder looked them up. ``kind``: lead, contact or account
    (an account has only its ``company_key``)."""

    record_id: UUID
    contact_name: str
    email_key: str | None
    phone_key: str | None
    name_key: str
    company_key: str | None
    kind: str = "lead"


def matched_rules(keys: dict[str, Any], other: Indexed) -> tuple[str, ...]:
    """Which rules of the policy say ``other`` is the record with ``keys`` (none: it is not)."""
    if other.kind == "account":
        return ("company",) if keys["company_key"] and other.company_key == keys["company_key"] else ()
    hits = []
    if keys["email_key"] and other.email_key == keys["email_key"]:
        hits.append("email")
    if keys["phone_key"] and other.phone_key == keys["phone_key"]:
        hits.append("phone")
    if (
        keys["company_key"]
        and other.company_key == keys["company_key"]
        and same_person_name(person_name(keys["name_key"]), person_name(other.name_key))
    ):
        hits.append("name_and_company")
    return tuple(hits)


KIND_ORDER = {"contact": 0, "lead": 1, "account": 2}
"""Best first: a customer-master contact (the person is already a customer), then leads, then
accounts (somewhere to associate the lead, not a duplicate of it)."""


def best_first(candidates: Iterable[Candidate]) -> list[Candidate]:
    return sorted(candidates, key=lambda c: (KIND_ORDER.get(c.kind, 3), -len(c.matched_on)))


def matches(keys: dict[str, Any], existing: Iterable[Indexed], *, limit: int = 10) -> list[Candidate]:
    """Those of ``existing`` that look like the record with ``keys``, best first."""
    found = []
    for other in existing:
        matched = matched_rules(keys, other)
        if matched:
            found.append(Candidate(other.record_id, other.contact_name, matched, other.kind))
    return best_first(found)[:limit]
