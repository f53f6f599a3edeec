"""Converting a qualified lead: an opportunity, and the account and contact it belongs to, linked
both ways and saved in one transaction.

The account and contact are the customer master's: a company is one account however its name
is written ("ACME Corp." and "Acme Corp"), found by its normalised name or its email domain, and
a person one contact, found by email. The caller may name them, or ask for new ones; otherwise the
existing ones are linked. Accounts and contacts claim their keys in the same transaction as their
registration, so two conversions racing to create one company's account end with one account.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid4

from domain.command_handling import CommandApplication, CommandResult
from domain.customers import Account, Contact, Opportunity
from domain.duplicate_policy import company_key
from domain.duplicates import IdentityClaims, IdentityKey, IdentityTaken
from domain.lead import Lead
from domain.records import ConversionLinks, OpportunityTerms
from domain.values import EventMeta, LeadDetails

FREE_MAIL = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "msn.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.ru",
        "yandex.ru",
        "proton.me",
        "protonmail.com",
        "qq.com",
        "163.com",
        "126.com",
        "zoho.com",
        "mail.com",
    }
)
"""Email domains anyone can have an address at: they say nothing about the company."""


def account_keys(details: LeadDetails) -> tuple[IdentityKey, ...]:
    """What identifies the lead's company: its normalised name, and its email domain unless free mail."""
    keys = []
    company = company_key(details.company)
    if company:
        keys.append(IdentityKey("account_name", company))
    domain = (details.email or "").rpartition("@")[2].lower()
    if domain and domain not in FREE_MAIL:
        keys.append(IdentityKey("account_domain", domain))
    return tuple(keys)


def contact_keys(details: LeadDetails) -> tuple[IdentityKey, ...]:
    """What identifies the person as a customer-master contact: the email (used to link a
    conversion to an existing contact) and the phone (only for duplicate look-ups)."""
    keys = [IdentityKey("contact_email", details.email.lower())] if details.email else []
    return (*keys, *([IdentityKey("contact_phone", details.phone)] if details.phone else []))


@dataclass(frozen=True)
class Suggestion:
    """The existing account and contact a conversion would link, and what matched."""

    account_id: UUID | None
    contact_id: UUID | None
    matched_on: tuple[str, ...]


class ConvertsLeads(CommandApplication):
    claims: IdentityClaims
    """Who holds which identifying key: leads their email and phone, accounts their company, contacts
    their email (set by whoever builds the service with its store)."""

    def account_and_contact_of(self, lead_id: UUID) -> tuple[UUID | None, UUID | None]:
        """The account and contact a lead belongs to: its conversion's, or the ones it was linked to."""
        lead = self._load(Lead, lead_id, None)
        if lead.conversion:
            return lead.conversion.account_id, lead.conversion.contact_id
        return lead.details.account_id, lead.details.contact_id

    def conversion_suggestion(self, lead_id: UUID) -> Suggestion:
        """What converting the lead would link to, unless told otherwise (read from the claims
        the write side keeps, never from a read model)."""
        return self._suggest(self._load(Lead, lead_id, None).details)

    def _suggest(self, details: LeadDetails) -> Suggestion:
        accounts = self.claims.holders(account_keys(details))
        contacts = self.claims.holders(k for k in contact_keys(details) if k.kind == "contact_email")
        account = next(iter(accounts.values()), None)
        contact = next(iter(contacts.values()), None)
        matched = tuple(k.kind for k in (*accounts, *contacts))
        return Suggestion(account, contact, matched)

    def convert(
        self,
        *,
        lead_id: UUID,
        terms: OpportunityTerms | None,
        meta: EventMeta,
        account_id: UUID | None = None,
        contact_id: UUID | None = None,
        new_account: bool = False,
        new_contact: bool = False,
        expected_version: int | None = None,
    ) -> CommandResult:
        """Open an opportunity and link the account and contact (named, the lead's own, the
        existing ones that match, or new ones), in ONE save. A conversion that lost the race to
        register the company's account (or the person's contact) is run again and links to it."""
        for attempt in range(2):
            done = self._previous_result("convert", meta)
            if done:
                return done
            try:
                return self._convert(
                    lead_id, terms, meta, account_id, contact_id, new_account, new_contact, expected_version
                )
            except IdentityTaken:
                if attempt:
                    raise
        raise AssertionError("unreachable")  # pragma: no mutate: the loop above always returns or raises

    def _convert(
        self,
        lead_id: UUID,
        terms: OpportunityTerms | None,
        meta: EventMeta,
        account_id: UUID | None,
        contact_id: UUID | None,
        new_account: bool,
        new_contact: bool,
        expected_version: int | None,
    ) -> CommandResult:
        lead = self._load(Lead, lead_id, expected_version)
        d = lead.details
        suggested = self._suggest(d)
        account_id = account_id or d.account_id or (None if new_account else suggested.account_id)
        contact_id = contact_id or d.contact_id or (None if new_contact else suggested.contact_id)
        account = self._load(Account, account_id, None) if account_id else None
        contact = self._load(Contact, contact_id, None) if contact_id else None
        links = ConversionLinks(
            opportunity_id=uuid4() if terms is not None else None,
            account_id=account.id if account else uuid4(),
            contact_id=contact.id if contact else uuid4(),
            created_account=account is None,
            created_contact=contact is None,
        )
        lead.convert(terms=terms, links=links, meta=meta)
        if account is None:
            account = Account.register(
                name=d.company or d.contact_name,
                industry=d.industry,
                address=d.address,
                meta=meta,
                account_id=links.account_id,
            )
            self.claims.stage(account.id, account_keys(d), exclusive=not new_account)
        if contact is None:
            contact = Contact.register(
                account_id=links.account_id,
                name=d.contact_name,
                email=d.email,
                phone=d.phone,
                job_title=d.job_title,
                meta=meta,
                contact_id=links.contact_id,
            )
            keys = contact_keys(d)
            self.claims.stage(contact.id, [k for k in keys if k.kind == "contact_email"], exclusive=not new_contact)
            self.claims.stage(contact.id, [k for k in keys if k.kind != "contact_email"], exclusive=False)
        account.link_lead(lead_id=lead.id, opportunity_id=links.opportunity_id, meta=meta)
        contact.link_lead(lead_id=lead.id, meta=meta)
        created = {"account_id": links.account_id, "contact_id": links.contact_id}
        saved: list[Lead | Account | Contact | Opportunity] = [lead, account, contact]
        if terms is not None and links.opportunity_id is not None:
            saved.append(
                Opportunity.open(
                    lead_id=lead.id,
                    account_id=links.account_id,
                    contact_id=links.contact_id,
                    terms=terms,
                    meta=meta,
                    opportunity_id=links.opportunity_id,
                )
            )
            created["opportunity_id"] = links.opportunity_id
        return self._save("convert", meta, lead, *saved, created=created)
