"""The application service: every command the lead lifecycle offers, as one method each.

Each method loads what it needs, calls one aggregate command and saves atomically through
``CommandApplication`` (idempotency, optimistic concurrency, batching). Persistence is whatever
the environment selects; this module performs no I/O of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from domain.base import DomainEvent
from domain.command_handling import CommandApplication, CommandResult
from domain.customers import Account, Contact, Opportunity
from domain.errors import InvalidCommand, NotFound
from domain.lead import Lead
from domain.records import Activity, Attachment, ConversionLinks, Note, OpportunityTerms, ScoreBreakdown, Signal
from domain.values import BantItem, DisqualifyReason, EventMeta, LeadDetails, LeadStatus

__all__ = ["CommandResult", "LeadService"]


class LeadService(CommandApplication):
    name = "leads"

    # -- capture and change -------------------------------------------------------------------

    def capture_lead(
        self,
        *,
        details: LeadDetails,
        meta: EventMeta,
        lead_id: UUID | None = None,
        screen: Callable[[LeadDetails], LeadDetails] | None = None,
    ) -> CommandResult:
        """``screen`` runs only for a command not already done (so a repeat with the same
        idempotency key returns the first result): it may refuse the lead (a suspected
        duplicate) or return the details to capture instead (linked to an existing account)."""
        done = self._previous_result("capture", meta)
        if done:
            return done
        if screen is not None:
            details = screen(details)
        lead = Lead.capture(details=details, meta=meta, lead_id=lead_id)
        return self._save("capture", meta, lead, lead)

    def update_details(
        self, *, lead_id: UUID, changes: dict[str, Any], meta: EventMeta, expected_version: int | None = None
    ) -> CommandResult:
        return self._change(
            "update_details",
            lead_id,
            meta,
            expected_version,
            lambda lead: lead.update_details(changes=changes, meta=meta),
        )

    def assign(
        self, *, lead_id: UUID, owner: str, meta: EventMeta, expected_version: int | None = None
    ) -> CommandResult:
        return self._change("assign", lead_id, meta, expected_version, lambda lead: lead.assign(owner=owner, meta=meta))

    def transfer(
        self, *, lead_ids: Sequence[UUID], to_owner: str, meta: EventMeta, check: Callable[[Lead], None]
    ) -> list[UUID]:
        """Assign each lead to ``to_owner``, one idempotent command each (the command id gets the
        lead's id appended). ``check`` may refuse a lead by raising; the leads before it stay
        moved."""
        moved = []
        for lead_id in lead_ids:
            check(self.get_lead(lead_id))
            key = f"{meta.command_id}/{lead_id}" if meta.command_id else None
            self.assign(lead_id=lead_id, owner=to_owner, meta=meta.model_copy(update={"command_id": key}))
            moved.append(lead_id)
        return moved

    def contact(
        self, *, lead_id: UUID, via: str, meta: EventMeta, expected_version: int | None = None
    ) -> CommandResult:
        return self._change("contact", lead_id, meta, expected_version, lambda lead: lead.contact(via=via, meta=meta))

    def log_activity(
        self, *, lead_id: UUID, activity: Activity, meta: EventMeta, expected_version: int | None = None
    ) -> CommandResult:
        return self._change(
            "log_activity",
            lead_id,
            meta,
            expected_version,
            lambda lead: lead.log_activity(activity=activity, meta=meta),
        )

    def add_note(
        self, *, lead_id: UUID, note: Note, meta: EventMeta, expected_version: int | None = None
    ) -> CommandResult:
        return self._change(
            "add_note", lead_id, meta, expected_version, lambda lead: lead.add_note(note=note, meta=meta)
        )

    def add_attachment(
        self, *, lead_id: UUID, attachment: Attachment, meta: EventMeta, expected_version: int | None = None
    ) -> CommandResult:
        return self._change(
            "add_attachment",
            lead_id,
            meta,
            expected_version,
            lambda lead: lead.add_attachment(attachment=attachment, meta=meta),
        )

    def follow(
        self, *, lead_id: UUID, user: str, meta: EventMeta, expected_version: int | None = None
    ) -> CommandResult:
        return self._change("follow", lead_id, meta, expected_version, lambda lead: lead.follow(user=user, meta=meta))

    def unfollow(
        self, *, lead_id: UUID, user: str, meta: EventMeta, expected_version: int | None = None
    ) -> CommandResult:
        return self._change(
            "unfollow", lead_id, meta, expected_version, lambda lead: lead.unfollow(user=user, meta=meta)
        )

    def record_signal(
        self, *, lead_id: UUID, signal: Signal, meta: EventMeta, expected_version: int | None = None
    ) -> CommandResult:
        return self._change(
            "record_signal", lead_id, meta, expected_version, lambda lead: lead.record_signal(signal=signal, meta=meta)
        )

    def record_score(
        self,
        *,
        lead_id: UUID,
        breakdown: ScoreBreakdown,
        rule_version: str,
        meta: EventMeta,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._change(
            "record_score",
            lead_id,
            meta,
            expected_version,
            lambda lead: lead.record_score(breakdown=breakdown, rule_version=rule_version, meta=meta),
        )

    def adjust_score(
        self, *, lead_id: UUID, points: int, reason: str, meta: EventMeta, expected_version: int | None = None
    ) -> CommandResult:
        return self._change(
            "adjust_score",
            lead_id,
            meta,
            expected_version,
            lambda lead: lead.adjust_score(points=points, reason=reason, meta=meta),
        )

    def update_bant(
        self,
        *,
        lead_id: UUID,
        changes: dict[BantItem, str | None],
        meta: EventMeta,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._change(
            "update_bant", lead_id, meta, expected_version, lambda lead: lead.update_bant(changes=changes, meta=meta)
        )

    def qualify(self, *, lead_id: UUID, meta: EventMeta, expected_version: int | None = None) -> CommandResult:
        return self._change("qualify", lead_id, meta, expected_version, lambda lead: lead.qualify(meta=meta))

    def nurture(
        self,
        *,
        lead_id: UUID,
        meta: EventMeta,
        reason: str | None = None,
        follow_up_on: date | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._change(
            "nurture",
            lead_id,
            meta,
            expected_version,
            lambda lead: lead.nurture(reason=reason, follow_up_on=follow_up_on, meta=meta),
        )

    def disqualify(
        self,
        *,
        lead_id: UUID,
        reason: DisqualifyReason,
        meta: EventMeta,
        text: str | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._change(
            "disqualify",
            lead_id,
            meta,
            expected_version,
            lambda lead: lead.disqualify(reason=reason, text=text, meta=meta),
        )

    def reopen(self, *, lead_id: UUID, meta: EventMeta, expected_version: int | None = None) -> CommandResult:
        return self._change("reopen", lead_id, meta, expected_version, lambda lead: lead.reopen(meta=meta))

    def mark_duplicate(
        self, *, lead_id: UUID, of_lead_id: UUID, matched_on: str, meta: EventMeta, expected_version: int | None = None
    ) -> CommandResult:
        return self._change(
            "mark_duplicate",
            lead_id,
            meta,
            expected_version,
            lambda lead: lead.mark_duplicate(of_lead_id=of_lead_id, matched_on=matched_on, meta=meta),
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
        return self._save("merge", meta, master, master, *duplicates)

    def convert(
        self,
        *,
        lead_id: UUID,
        terms: OpportunityTerms,
        meta: EventMeta,
        account_id: UUID | None = None,
        contact_id: UUID | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        """Open an opportunity and link (or create) the account and contact, in ONE save."""
        done = self._previous_result("convert", meta)
        if done:
            return done
        lead = self._load(Lead, lead_id, expected_version)
        account_id = account_id or lead.details.account_id
        contact_id = contact_id or lead.details.contact_id
        account = self._load(Account, account_id, None) if account_id else None
        contact = self._load(Contact, contact_id, None) if contact_id else None
        links = ConversionLinks(
            opportunity_id=uuid4(),
            account_id=account.id if account else uuid4(),
            contact_id=contact.id if contact else uuid4(),
            created_account=account is None,
            created_contact=contact is None,
        )
        lead.convert(terms=terms, links=links, meta=meta)
        d = lead.details
        if account is None:
            account = Account.register(
                name=d.company or d.contact_name,
                industry=d.industry,
                address=d.address,
                meta=meta,
                account_id=links.account_id,
            )
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
        account.link_lead(lead_id=lead.id, opportunity_id=links.opportunity_id, meta=meta)
        contact.link_lead(lead_id=lead.id, meta=meta)
        opportunity = Opportunity.open(
            lead_id=lead.id,
            account_id=links.account_id,
            contact_id=links.contact_id,
            terms=terms,
            meta=meta,
            opportunity_id=links.opportunity_id,
        )
        created = {
            "opportunity_id": links.opportunity_id,
            "account_id": links.account_id,
            "contact_id": links.contact_id,
        }
        return self._save("convert", meta, lead, lead, account, contact, opportunity, created=created)

    def erase_personal_data(
        self, *, lead_id: UUID, meta: EventMeta, request: str | None = None, expected_version: int | None = None
    ) -> CommandResult:
        """Records the erasure; destroying the keys is the event store's part (``infra.erasure``)."""
        return self._change(
            "erase_personal_data",
            lead_id,
            meta,
            expected_version,
            lambda lead: lead.erase_personal_data(request=request, meta=meta),
        )

    def raise_aging_alert(
        self, *, lead_id: UUID, status: LeadStatus, days_in_status: int, threshold_days: int, meta: EventMeta
    ) -> CommandResult:
        return self._change(
            "raise_aging_alert",
            lead_id,
            meta,
            None,
            lambda lead: lead.raise_aging_alert(
                status=status, days_in_status=days_in_status, threshold_days=threshold_days, meta=meta
            ),
        )

    # -- reading the write side (history, replay) ---------------------------------------------

    def get_lead(self, lead_id: UUID, *, version: int | None = None) -> Lead:
        """The lead now, or as it was at ``version`` (which must exist: no version past the last)."""
        lead = self._load(Lead, lead_id, None, version=version)
        if version is not None and lead.version != version:
            raise NotFound("version of lead", f"{lead_id} v{version}")
        return lead

    def account_and_contact_of(self, lead_id: UUID) -> tuple[UUID | None, UUID | None]:
        """The account and contact a lead belongs to: its conversion's, or the ones it was linked to."""
        lead = self.get_lead(lead_id)
        if lead.conversion:
            return lead.conversion.account_id, lead.conversion.contact_id
        return lead.details.account_id, lead.details.contact_id

    def lead_as_of(self, lead_id: UUID, at: datetime) -> Lead:
        """The lead as it was at ``at``: rebuilt up to its last event recorded at or before then."""
        version = None
        for event in self.history(lead_id):
            if event.timestamp > at:
                break
            version = event.originator_version
        if version is None:
            raise NotFound("lead", lead_id)
        return self.get_lead(lead_id, version=version)

    def history(self, lead_id: UUID) -> list[DomainEvent]:
        events = [e for e in self.events.get(lead_id) if isinstance(e, DomainEvent)]
        if not events:
            raise NotFound("lead", lead_id)
        return events
