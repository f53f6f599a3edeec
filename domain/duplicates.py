"""The duplicate policy, for every door a lead comes in by: what makes two leads look like the
same person, and what the caller may do about it.

Keys: the normalised email, the E.164 phone (already normalised by the value objects), and the
normalised contact name and company. Email and phone match exactly; a name matches fuzzily
(rapidfuzz) among leads of the same company, which catches "Jon Smith" / "John Smith" at Acme
Inc. without comparing against every lead in the store. Where the candidates come from is a
port (:class:`DuplicateFinder`); what an entrance does with a match is its own choice.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol
from uuid import UUID

from rapidfuzz import fuzz

from domain.errors import DomainError, InvalidCommand
from domain.values import LeadDetails

COMPANY_SUFFIXES = {
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
NAME_MATCH = 88
"""rapidfuzz token-sort ratio (0-100) from which two names at one company count as the same person."""


def words(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.findall(r"[a-z0-9]+", plain)


def name_key(name: str) -> str:
    return " ".join(words(name))


def company_key(company: str | None) -> str | None:
    key = " ".join(w for w in words(company or "") if w not in COMPANY_SUFFIXES)
    return key or None


RAW = ("contact_name", "email", "phone", "company")
"""The lead fields the keys are made from."""


def keys_of(details: dict[str, Any]) -> dict[str, Any]:
    """The raw matching fields (of lead details as JSON) and their keys."""
    return {
        **{f: details.get(f) for f in RAW},
        "email_key": (details.get("email") or "").lower() or None,
        "phone_key": details.get("phone"),
        "name_key": name_key(details["contact_name"]),
        "company_key": company_key(details.get("company")),
    }


@dataclass(frozen=True)
class Candidate:
    lead_id: UUID
    contact_name: str
    matched_on: tuple[str, ...]
    """email, phone and/or name_and_company."""


@dataclass(frozen=True)
class Indexed:
    """An existing lead's keys, as a :class:`DuplicateFinder` looked them up."""

    lead_id: UUID
    contact_name: str
    email_key: str | None
    phone_key: str | None
    name_key: str
    company_key: str | None


def matches(keys: dict[str, Any], existing: Iterable[Indexed], *, limit: int = 10) -> list[Candidate]:
    """Those of ``existing`` that look like the lead with ``keys``, best first."""
    found = []
    for other in existing:
        matched = [
            label
            for label, hit in (
                ("email", keys["email_key"] is not None and other.email_key == keys["email_key"]),
                ("phone", keys["phone_key"] is not None and other.phone_key == keys["phone_key"]),
                (
                    "name_and_company",
                    other.company_key is not None
                    and other.company_key == keys["company_key"]
                    and fuzz.token_sort_ratio(other.name_key, keys["name_key"]) >= NAME_MATCH,
                ),
            )
            if hit
        ]
        if matched:
            found.append(Candidate(other.lead_id, other.contact_name, tuple(matched)))
    return sorted(found, key=lambda c: -len(c.matched_on))[:limit]


class DuplicateFinder(Protocol):
    def candidates(self, details: LeadDetails) -> list[Candidate]:
        """Existing leads (not merged away) that look like ``details``, best first."""
        ...


class OnDuplicate(StrEnum):
    REJECT = "reject"
    CREATE = "create"
    ASSOCIATE = "associate"


class PossibleDuplicate(DomainError):
    """A new lead looks like existing ones; the caller must choose what to do."""

    def __init__(self, candidates: list[Candidate]) -> None:
        super().__init__(f"{len(candidates)} existing lead(s) look like this one")
        self.candidates = candidates


Links = Callable[[UUID], tuple[UUID | None, UUID | None]]
"""An existing lead's account and contact ids."""


@dataclass(frozen=True)
class Screened:
    """What a screen lets through: the details to capture, the look-alikes found (the lead is
    recorded as a possible duplicate of the first), and whether its email and phone must be
    new (claimed exclusively: the capture fails if another lead holds one)."""

    details: LeadDetails
    suspects: tuple[Candidate, ...] = ()
    exclusive: bool = False


Screen = Callable[[LeadDetails], Screened]


def screen(finder: DuplicateFinder, links: Links, choice: OnDuplicate | None) -> Screen:
    """The caller's choice when a new lead looks like existing ones: refuse it (the default; its
    email and phone are then claimed exclusively, so two racing captures cannot both get in),
    capture it anyway as a possible duplicate, or link it to the best match's account and
    contact."""

    def check(details: LeadDetails) -> Screened:
        candidates = finder.candidates(details)
        if choice is OnDuplicate.CREATE:
            return Screened(details, tuple(candidates))
        if candidates and choice is OnDuplicate.ASSOCIATE:
            return Screened(associated(details, candidates[0].lead_id, links))
        if candidates:
            raise PossibleDuplicate(candidates)
        return Screened(details, exclusive=True)

    return check


def flag(finder: DuplicateFinder) -> Screen:
    """Entrances that must never lose a lead (web forms, intake, imports): capture it, flagged as
    a possible duplicate of what it looks like, for a person to decide."""
    return lambda details: Screened(details, tuple(finder.candidates(details)))


@dataclass(frozen=True)
class IdentityKey:
    """What identifies a person across leads: a normalised email or an E.164 phone."""

    kind: str
    value: str


def identity_keys(details: LeadDetails) -> tuple[IdentityKey, ...]:
    keys = keys_of(details.model_dump(mode="json"))
    found = [IdentityKey("email", keys["email_key"]), IdentityKey("phone", keys["phone_key"])]
    return tuple(k for k in found if k.value)


class IdentityTaken(DomainError):
    """Another lead holds this email or phone (a claim made in the same transaction as that
    lead's events, so no read model's lag can let two leads take it)."""

    def __init__(self, key: IdentityKey, holder: UUID) -> None:
        super().__init__(f"lead {holder} already has this {key.kind}")
        self.key = key
        self.holder = holder


class IdentityClaims(Protocol):
    """Which lead holds which email and phone, kept with the events: claims staged for a save
    are written in its transaction, or not at all."""

    def holders(self, keys: Iterable[IdentityKey]) -> dict[IdentityKey, UUID]:
        """The leads holding ``keys`` now (committed claims)."""
        ...

    def stage(self, lead_id: UUID, keys: Iterable[IdentityKey], *, exclusive: bool) -> None:
        """Claim ``keys`` for ``lead_id`` in the next save: ``exclusive`` fails that save with
        :class:`IdentityTaken` if another lead holds one; otherwise a held key stays its holder's."""
        ...

    def stage_release(self, lead_id: UUID) -> None:
        """Drop every claim of ``lead_id`` in the next save (it was merged away or erased, or its
        email or phone changed: it then claims its new ones)."""
        ...


def associated(details: LeadDetails, existing_id: UUID, links: Links) -> LeadDetails:
    """``details`` linked to the account and contact of an existing lead."""
    account_id, contact_id = links(existing_id)
    if account_id is None and contact_id is None:
        raise InvalidCommand(
            f"lead {existing_id} has no account or contact to associate with; use on_duplicate=create or reject",
            field="on_duplicate",
        )
    return details.model_copy(update={"account_id": account_id, "contact_id": contact_id})
