"""The application service: every command the lead lifecycle offers, as one method each.

Each method loads what it needs, calls one aggregate command and saves atomically through
``CommandApplication`` (idempotency, optimistic concurrency, batching). Persistence is whatever
the environment selects; this module performs no I/O of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError

from domain.archiving import ArchivesLeads
from domain.command_handling import CommandResult
from domain.customer_service import CustomerCommands
from domain.duplicate_decisions import DecidesDuplicates, suspects_of
from domain.duplicates import (
    Candidate,
    IdentityTaken,
    PossibleDuplicate,
    Screen,
    Screened,
    identity_keys,
)
from domain.errors import DomainError, LeadExists, VersionConflict
from domain.import_service import RecordsImports
from domain.lead import Lead
from domain.lead_history import ReadsLeadHistory
from domain.picklists import BantItem, DisqualifyReason, LeadStatus
from domain.records import Activity, Attachment, Note
from domain.scores_leads import ScoresLeads
from domain.task_service import SchedulesTasks
from domain.values import EventMeta, LeadDetails

__all__ = ["CommandResult", "LeadService"]


@dataclass(frozen=True)
class TransferOutcome:
    lead_id: UUID
    moved: bool
    reason: str | None = None


class LeadService(
    ScoresLeads,
    RecordsImports,
    ArchivesLeads,
    DecidesDuplicates,
    CustomerCommands,
    SchedulesTasks,
    ReadsLeadHistory,
):
    name = "leads"

    # -- capture and change -------------------------------------------------------------------

    def capture_lead(
        self,
        *,
        details: LeadDetails,
        meta: EventMeta,
        lead_id: UUID | None = None,
        screen: Screen | None = None,
        owner: str | None = None,
    ) -> CommandResult:
        """Capture a lead, screened for duplicates (``domain.duplicates``), and route it.

        ``screen`` runs only for a command not already done (so a repeat with the same
        idempotency key returns the first result) and may refuse the lead, link it to an existing
        account, or let it through with the look-alikes it found. A lead let through that looks
        like another (in the read model, or by the email and phone claims of the write side) is
        recorded as its possible duplicate; without a screen nothing is checked. Its email and
        phone are claimed in the same transaction; exclusively when the screen asks, so that of
        racing captures of one person exactly one gets in.

        ``owner``, when given, is a person's choice and wins; otherwise the assignment rules
        decide (``domain.assignment``), in the same transaction."""
        done = self._previous_result("capture", meta)
        if done:
            return done
        screened = screen(details) if screen is not None else Screened(details)
        if owner is not None:
            self.check_owner(owner)
        new_id = lead_id or uuid4()

        def build(excluded: frozenset[str] | None) -> Lead:
            lead = Lead.capture(details=screened.details, meta=meta, lead_id=new_id)
            keys = identity_keys(lead.details)
            suspects = screened.suspects
            if not suspects and screen is not None and not screened.exclusive and not screened.claims_read:
                held = next(iter(self.claims.holders(keys).items()), None)
                suspects = (Candidate(held[1], "", (held[0].kind,)),) if held else ()
            if suspects:
                best = suspects[0]
                lead.mark_duplicate(
                    of_id=best.record_id,
                    of_kind=best.kind,
                    matched_on=",".join(best.matched_on),
                    candidates=suspects_of(suspects),
                    meta=meta,
                )
            self.claims.stage(lead.id, keys, exclusive=screened.exclusive)
            if owner is not None:
                lead.assign(owner=owner, meta=meta)
            else:
                self.route_lead(lead, meta=meta, excluded=excluded)
            return lead

        try:
            result = self._routed("capture", meta, build)
        except VersionConflict:
            if lead_id is not None:
                self.check_new(lead_id)
            raise
        except IdentityTaken as taken:
            holder = self.get_lead(taken.holder)
            raise PossibleDuplicate([Candidate(taken.holder, holder.details.contact_name, (taken.key.kind,))]) from None
        assert result is not None
        return result

    def check_new(self, lead_id: UUID) -> None:
        """Raise :class:`LeadExists` if a capture named the id of a lead the store holds (asked of
        the write side once the save conflicted, so a capture with a fresh id costs nothing)."""
        try:
            self.repository.get(lead_id, version=1)
        except AggregateNotFoundError:
            return
        raise LeadExists(lead_id)

    def update_details(
        self, *, lead_id: UUID, changes: dict[str, Any], meta: EventMeta, expected_version: int | None = None
    ) -> CommandResult:
        """A new email or phone is claimed (if free) and the old ones released, with the change."""

        def act(lead: Lead) -> None:
            before = identity_keys(lead.details)
            lead.update_details(changes=changes, meta=meta)
            after = identity_keys(lead.details)
            if after != before:
                self.claims.stage_release(lead.id)
                self.claims.stage(lead.id, after, exclusive=False)

        return self._change("update_details", lead_id, meta, expected_version, act)

    def assign(
        self, *, lead_id: UUID, owner: str, meta: EventMeta, expected_version: int | None = None
    ) -> CommandResult:
        self.check_owner(owner)
        return self._change("assign", lead_id, meta, expected_version, lambda lead: lead.assign(owner=owner, meta=meta))

    def transfer(
        self,
        *,
        lead_ids: Sequence[UUID],
        from_owner: str,
        to_owner: str,
        meta: EventMeta,
        check: Callable[[Lead], None],
    ) -> list[TransferOutcome]:
        """Move each lead from ``from_owner`` to ``to_owner``, one idempotent command each (the
        command id gets the lead's id appended), each on its own: a lead ``check`` refuses (by
        raising), or that someone else owns by the time it is saved, stays where it is and the
        outcome says why. Both are judged on the lead as loaded for the save, and a save that
        loses a race to another writer is judged again, so a lead is never taken from an owner
        the caller did not name."""
        outcomes = []
        for lead_id in lead_ids:
            key = f"{meta.command_id}/{lead_id}" if meta.command_id else None
            one = meta.model_copy(update={"command_id": key})

            def act(lead: Lead, one: EventMeta = one) -> None:
                check(lead)
                lead.transfer(from_owner=from_owner, to_owner=to_owner, meta=one)

            try:
                self._change("transfer", lead_id, one, None, act)
                outcomes.append(TransferOutcome(lead_id, moved=True))
            except DomainError as e:
                outcomes.append(TransferOutcome(lead_id, moved=False, reason=str(e)))
        return outcomes

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
        """A reopened lead is routed again by the rules in force (its owner may stay)."""

        def build(excluded: frozenset[str] | None) -> Lead:
            lead = self._load(Lead, lead_id, expected_version)
            lead.reopen(meta=meta)
            self.route_lead(lead, meta=meta, excluded=excluded)
            return lead

        result = self._routed("reopen", meta, build)
        assert result is not None
        return result

    def erase_personal_data(
        self, *, lead_id: UUID, meta: EventMeta, request: str | None = None, expected_version: int | None = None
    ) -> CommandResult:
        """Records the erasure and releases the lead's email and phone; destroying the keys is the
        event store's part (``domain.erasure``)."""

        def act(lead: Lead) -> None:
            lead.erase_personal_data(request=request, meta=meta)
            self.claims.stage_release(lead.id)
            if lead.conversion and lead.conversion.created_contact:
                self.claims.stage_release(lead.conversion.contact_id)

        return self._change("erase_personal_data", lead_id, meta, expected_version, act)

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
