"""The lead's duplicates: flagged for a person, dismissed for good ("not a duplicate"), merged
into another lead or into a contact. A mixin of :class:`~domain.lead.Lead`, kept apart so each
module keeps one job."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain import lead_events as ev
from domain.errors import (
    DeclaredDistinct,
    InvalidCommand,
)
from domain.lead_state import LeadState
from domain.lifecycle import LeadCommand as C
from domain.records import (
    DuplicateSuspect,
)
from domain.values import EventMeta, validated


class LeadDuplicates(LeadState):
    if TYPE_CHECKING:

        @property
        def id(self) -> UUID: ...

        def check_allowed(self, command: C) -> None: ...

        def trigger_event(self, event_class: Any, **kwargs: Any) -> None: ...

    def mark_duplicate(
        self,
        *,
        of_id: UUID,
        matched_on: str,
        meta: EventMeta,
        of_kind: str = "lead",
        candidates: tuple[DuplicateSuspect, ...] = (),
    ) -> None:
        """Flag as a possible duplicate for a person to decide; never a pair a person dismissed."""
        self.check_allowed(C.MARK_DUPLICATE)
        if of_id == self.id:
            raise InvalidCommand("a lead cannot duplicate itself", field="of_id")
        if of_id in self.distinct_from:
            raise DeclaredDistinct(lead_id=self.id, of_id=of_id)
        self.trigger_event(
            ev.MarkedDuplicate, of_id=of_id, of_kind=of_kind, matched_on=matched_on, candidates=candidates, meta=meta
        )

    def dismiss_duplicate(self, *, of_id: UUID, of_kind: str, meta: EventMeta) -> None:
        """ "Not a duplicate": remembered, so the pair is never flagged again. Repeating it records nothing."""
        self.check_allowed(C.DISMISS_DUPLICATE)
        if of_id == self.id:
            raise InvalidCommand("a lead cannot duplicate itself", field="of_id")
        if of_id not in self.distinct_from:
            self.trigger_event(ev.DuplicateDismissed, of_id=of_id, of_kind=of_kind, meta=meta)

    def merge_into_contact(self, *, contact_id: UUID, account_id: UUID | None, meta: EventMeta) -> None:
        """Archive as Merged into an existing contact (the contact and its account record it too)."""
        self.check_allowed(C.MERGE)
        if contact_id in self.distinct_from:
            raise DeclaredDistinct(lead_id=self.id, of_id=contact_id)
        self.trigger_event(ev.MergedIntoContact, contact_id=contact_id, account_id=account_id, meta=meta)

    def absorb(self, duplicate: LeadDuplicates, *, take_fields: list[str], meta: EventMeta) -> None:
        """Merge ``duplicate`` into this master: take the chosen fields, re-link its children,
        and archive it as Merged. Both sides record the merge in their own history."""
        self.check_allowed(C.ABSORB)
        duplicate.check_allowed(C.MERGE)
        if duplicate.id == self.id:
            raise InvalidCommand("a lead cannot be merged into itself", field="duplicate_ids")
        theirs = duplicate.details.model_dump(mode="json")
        unknown = [f for f in take_fields if f not in theirs]
        if unknown:
            raise InvalidCommand(f"unknown lead fields: {', '.join(unknown)}", field="take_fields")
        fields = {f: theirs[f] for f in take_fields}
        validated(lambda: self.details.with_changes(fields)).check_reachable()
        self.trigger_event(
            ev.DuplicateAbsorbed,
            duplicate_id=duplicate.id,
            fields_taken=fields,
            activities=tuple(duplicate.activities),
            notes=tuple(duplicate.notes),
            attachments=tuple(duplicate.attachments),
            followers=tuple(sorted(duplicate.followers)),
            meta=meta,
        )
        duplicate.trigger_event(ev.MergedInto, master_id=self.id, meta=meta)
