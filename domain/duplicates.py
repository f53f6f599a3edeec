"""What each door does when a new lead looks like existing records (``domain.duplicate_policy``
decides what looks alike): the API caller chooses (reject, create, associate); forms, intake and
imports never lose a lead and flag it for a person instead. Also the reservations (identity
claims) that let racing captures decide on the write side, never on a lagging read model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable
from uuid import UUID

from domain.duplicate_policy import Candidate, best_first, email_key
from domain.errors import DomainError, InvalidCommand
from domain.values import LeadDetails


class DuplicateFinder(Protocol):
    def candidates(self, details: LeadDetails) -> list[Candidate]:
        """Existing leads (not merged away), contacts and accounts that look like ``details``, best first."""
        ...


@runtime_checkable
class ChunkFinder(DuplicateFinder, Protocol):
    """A finder that also looks up many leads at once (an import judges its rows by the chunk)."""

    def candidates_many(self, many: Sequence[LeadDetails]) -> list[list[Candidate]]:
        """``candidates`` of each of ``many``, in order."""
        ...


class Combined:
    """Several finders as one (the read model's fuzzy look-up and the write side's claims): a
    record found by more than one is listed once, with every rule that matched it."""

    def __init__(self, *finders: DuplicateFinder) -> None:
        self.finders = finders

    def candidates(self, details: LeadDetails) -> list[Candidate]:
        return _merged([finder.candidates(details) for finder in self.finders])

    def candidates_many(self, many: Sequence[LeadDetails]) -> list[list[Candidate]]:
        """:meth:`candidates` of each of ``many``, each finder asked once for all of them when
        it can be (a :class:`ChunkFinder`)."""
        each = [
            f.candidates_many(many) if isinstance(f, ChunkFinder) else [f.candidates(d) for d in many]
            for f in self.finders
        ]
        return [_merged([found[i] for found in each]) for i in range(len(many))]


def _merged(lists: Sequence[list[Candidate]]) -> list[Candidate]:
    """One list, best first: a record found by more than one finder listed once, with every
    rule that matched it."""
    found: dict[tuple[str, UUID], Candidate] = {}
    for candidates in lists:
        for c in candidates:
            seen = found.get((c.kind, c.record_id))
            if seen is not None:
                rules = seen.matched_on + tuple(r for r in c.matched_on if r not in seen.matched_on)
                c = Candidate(c.record_id, seen.contact_name or c.contact_name, rules, c.kind)
            found[(c.kind, c.record_id)] = c
    return best_first(found.values())[:10]


def people(candidates: Iterable[Candidate]) -> list[Candidate]:
    """The candidates that are a person (a lead or a contact): only those make a lead a duplicate;
    an account with the lead's company is somewhere to associate it, not a duplicate."""
    return [c for c in candidates if c.kind != "account"]


class OnDuplicate(StrEnum):
    REJECT = "reject"
    CREATE = "create"
    ASSOCIATE = "associate"


class PossibleDuplicate(DomainError):
    """A new lead looks like existing ones; the caller must choose what to do."""

    def __init__(self, candidates: list[Candidate]) -> None:
        super().__init__(f"{len(candidates)} existing lead(s) look like this one")
        self.candidates = candidates


Links = Callable[[Candidate], tuple[UUID | None, UUID | None]]
"""The account and contact ids a candidate belongs to (a lead's, a contact's, or an account itself)."""


@dataclass(frozen=True)
class Screened:
    """What a screen lets through: the details to capture, the look-alikes found (the lead is
    recorded as a possible duplicate of the first), and whether its email and phone must be
    new (claimed exclusively: the capture fails if another lead holds one). ``claims_read``:
    the screen already asked the write side's claims (an import asks for a chunk of rows at
    once), so the capture does not ask again for this lead alone."""

    details: LeadDetails
    suspects: tuple[Candidate, ...] = ()
    exclusive: bool = False
    claims_read: bool = False


Screen = Callable[[LeadDetails], Screened]


def screen(finder: DuplicateFinder, links: Links, choice: OnDuplicate | None) -> Screen:
    """The caller's choice when a new lead looks like existing ones: refuse it (the default; its
    email and phone are then claimed exclusively, so two racing captures cannot both get in),
    capture it anyway as a possible duplicate, or link it to the best match's account and
    contact."""

    def check(details: LeadDetails) -> Screened:
        candidates = finder.candidates(details)
        suspects = people(candidates)
        if choice is OnDuplicate.CREATE:
            return Screened(details, tuple(suspects))
        if candidates and choice is OnDuplicate.ASSOCIATE:
            return Screened(associated(details, candidates[0], links))
        if suspects:
            raise PossibleDuplicate(suspects)
        return Screened(details, exclusive=True)

    return check


def flag(finder: DuplicateFinder) -> Screen:
    """Entrances that must never lose a lead (web forms, intake, imports): capture it, flagged as
    a possible duplicate of what it looks like, for a person to decide."""
    return lambda details: Screened(details, tuple(people(finder.candidates(details))))


def flag_many(finder: ChunkFinder, many: Sequence[LeadDetails], *, claims_read: bool) -> list[Screened]:
    """:func:`flag` for a batch (intake's), with one look-up per finder for all of it rather than
    a round trip per lead; ``claims_read``: the finder includes the write side's claims, so no
    capture asks them again. Leads of one batch do not see each other's claims, as they would
    not one by one either (a claim is visible once its save commits)."""
    return [
        Screened(d, tuple(people(found)), claims_read=claims_read)
        for d, found in zip(many, finder.candidates_many(many), strict=True)
    ]


@dataclass(frozen=True)
class IdentityKey:
    """What identifies a person across leads: a normalised email or an E.164 phone."""

    kind: str
    value: str


def identity_keys(details: LeadDetails) -> tuple[IdentityKey, ...]:
    """The email and phone keys of ``details`` (as ``keys_of`` makes them, without its name and
    company keys: every capture asks this, an import twice per row)."""
    found = (("email", email_key(details.email)), ("phone", details.phone))
    return tuple(IdentityKey(kind, value) for kind, value in found if value)


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


def associated(details: LeadDetails, existing: Candidate, links: Links) -> LeadDetails:
    """``details`` linked to the account and contact of an existing record."""
    account_id, contact_id = links(existing)
    if account_id is None and contact_id is None:
        raise InvalidCommand(
            f"{existing.kind} {existing.record_id} has no account or contact to associate with;"
            " use on_duplicate=create or reject",
            field="on_duplicate",
        )
    return details.model_copy(update={"account_id": account_id, "contact_id": contact_id})
