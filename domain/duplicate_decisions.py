"""What a person decides about a lead flagged as a possible duplicate, and where the write side's
look-ups for duplicates come from.

Decisions are events: merge into the lead it duplicates (``LeadService.merge``), merge into the
customer-master contact it duplicates (this module), or "not a duplicate" (this module; the pair
is remembered on both sides and never flagged again). The look-ups read the identity claims kept
with the events, so a decision never rests on a lagging read model.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from domain.command_handling import CommandResult
from domain.conversion import ConvertsLeads, account_keys, contact_keys
from domain.customers import Account, Contact
from domain.duplicate_policy import Candidate, best_first
from domain.duplicates import identity_keys
from domain.errors import IllegalTransition, InvalidCommand, NotFound
from domain.lead import Lead
from domain.records import DuplicateSuspect
from domain.values import EventMeta, LeadDetails

RULE_OF_CLAIM = {
    "email": "email",
    "phone": "phone",
    "contact_email": "email",
    "contact_phone": "phone",
    "account_name": "company",
    "account_domain": "company",
}
KIND_OF_CLAIM = {
    "email": "lead",
    "phone": "lead",
    "contact_email": "contact",
    "contact_phone": "contact",
    "account_name": "account",
    "account_domain": "account",
}


def suspects_of(candidates: tuple[Candidate, ...]) -> tuple[DuplicateSuspect, ...]:
    return tuple(
        DuplicateSuspect.model_validate({"record_id": c.record_id, "kind": c.kind, "matched_on": c.matched_on})
        for c in candidates
        if c.kind != "account"
    )


class DecidesDuplicates(ConvertsLeads):
    def candidates(self, details: LeadDetails) -> list[Candidate]:
        """The contacts and accounts (and leads, by email and phone) that hold ``details``' keys
        now, on the write side: the :class:`~domain.duplicates.DuplicateFinder` the read
        model's fuzzy look-up is combined with."""
        return self.candidates_many([details])[0]

    def candidates_many(self, many: Sequence[LeadDetails]) -> list[list[Candidate]]:
        """:meth:`candidates` of each of ``many``, asking the claims once for all their keys (a
        batch of intake messages is screened so, not one round trip per message)."""
        wanted = [(*identity_keys(d), *contact_keys(d), *account_keys(d)) for d in many]
        held = self.claims.holders({k for keys in wanted for k in keys})
        names: dict[tuple[str, UUID], str] = {}
        found_each = []
        for keys in wanted:
            found: dict[tuple[str, UUID], Candidate] = {}
            for key in keys:
                holder = held.get(key)
                if holder is None:
                    continue
                kind, rule = KIND_OF_CLAIM[key.kind], RULE_OF_CLAIM[key.kind]
                if (kind, holder) not in names:
                    names[(kind, holder)] = self._name_of(kind, holder)
                seen = found.get((kind, holder))
                rules = (*seen.matched_on, rule) if seen and rule not in seen.matched_on else (rule,)
                found[(kind, holder)] = Candidate(holder, names[(kind, holder)], rules, kind)
            found_each.append(best_first(found.values()))
        return found_each

    def _name_of(self, kind: str, record_id: UUID) -> str:
        try:
            if kind == "contact":
                return self._load(Contact, record_id, None).name
            if kind == "account":
                return self._load(Account, record_id, None).name
            return self._load(Lead, record_id, None).details.contact_name
        except NotFound:
            return ""

    def links_of(self, candidate: Candidate) -> tuple[UUID | None, UUID | None]:
        """The account and contact a candidate belongs to: a lead's, a contact and its account, or an account."""
        if candidate.kind == "contact":
            return self._load(Contact, candidate.record_id, None).account_id, candidate.record_id
        if candidate.kind == "account":
            return candidate.record_id, None
        return self.account_and_contact_of(candidate.record_id)

    def dismiss_duplicate(
        self, *, lead_id: UUID, of_id: UUID, meta: EventMeta, expected_version: int | None = None
    ) -> CommandResult:
        """ "Not a duplicate of ``of_id``" (a lead or a contact): recorded on the lead, and on the
        other lead too while it is open, in one save; neither is flagged as the other's again."""
        done = self._previous_result("dismiss_duplicate", meta)
        if done:
            return done
        lead = self._load(Lead, lead_id, expected_version)
        other: Lead | None = None
        try:
            other = self._load(Lead, of_id, None)
            kind = "lead"
        except NotFound:
            try:
                self._load(Contact, of_id, None)
            except NotFound:
                raise InvalidCommand(f"no lead or contact {of_id}", field="of_id") from None
            kind = "contact"
        lead.dismiss_duplicate(of_id=of_id, of_kind=kind, meta=meta)
        saved: list[Lead] = [lead]
        if other is not None:
            try:
                other.dismiss_duplicate(of_id=lead.id, of_kind="lead", meta=meta)
                saved.append(other)
            except IllegalTransition:
                pass  # a converted or merged lead is never flagged again anyway
        return self._save("dismiss_duplicate", meta, lead, *saved)

    def merge_into_contact(
        self, *, lead_id: UUID, contact_id: UUID, meta: EventMeta, expected_version: int | None = None
    ) -> CommandResult:
        """Merge a lead that duplicates a customer-master contact into it: the lead is archived
        as Merged, the contact and its account record the lead, all in ONE save; each keeps its
        own history. The lead's email and phone claims are released (the contact holds them)."""
        done = self._previous_result("merge_into_contact", meta)
        if done:
            return done
        lead = self._load(Lead, lead_id, expected_version)
        try:
            contact = self._load(Contact, contact_id, None)
        except NotFound:
            raise InvalidCommand(f"no contact {contact_id}", field="contact_id") from None
        account = self._load(Account, contact.account_id, None) if contact.account_id else None
        lead.merge_into_contact(contact_id=contact.id, account_id=account.id if account else None, meta=meta)
        contact.absorb_lead(lead_id=lead.id, meta=meta)
        if account is not None:
            account.record_merged_lead(lead_id=lead.id, contact_id=contact.id, meta=meta)
        self.claims.stage_release(lead.id)
        aggregates = [a for a in (lead, contact, account) if a is not None]
        return self._save("merge_into_contact", meta, lead, *aggregates)

    def mark_duplicate(
        self, *, lead_id: UUID, of_lead_id: UUID, matched_on: str, meta: EventMeta, expected_version: int | None = None
    ) -> CommandResult:
        """A person flags a lead as a possible duplicate of another lead (refused for a pair
        they declared distinct)."""
        return self._change(
            "mark_duplicate",
            lead_id,
            meta,
            expected_version,
            lambda lead: lead.mark_duplicate(of_id=of_lead_id, matched_on=matched_on, meta=meta),
        )

    def merge(
        self,
        *,
        master_id: UUID,
        duplicate_ids: Sequence[UUID],
        meta: EventMeta,
        take_fields: dict[UUID, list[str]] | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        """Absorb each duplicate into the master; master and duplicates commit in ONE save."""
        done = self._previous_result("merge", meta)
        if done:
            return done
        if not duplicate_ids or len(set(duplicate_ids)) != len(duplicate_ids):
            raise InvalidCommand("name one or more distinct duplicates", field="duplicate_ids")
        master = self._load(Lead, master_id, expected_version)
        duplicates = [self._load(Lead, d, None) for d in duplicate_ids]
        for dup in duplicates:
            master.absorb(dup, take_fields=(take_fields or {}).get(dup.id, []), meta=meta)
            self.claims.stage_release(dup.id)
        keys = identity_keys(master.details)
        self.claims.stage(master.id, keys, exclusive=False)
        return self._save("merge", meta, master, master, *duplicates)
