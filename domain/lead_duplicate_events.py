"""The Lead's duplicate events: flagged, dismissed, merged (either side) and merged into a
contact. Part of the contract in ``domain.lead_events`` (see its rules); each keeps the stored
topic it was first recorded under there (``TOPIC``)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal
from uuid import UUID

from pydantic import Field

from domain.base import Aggregate
from domain.lead_personal import whole_lead_personal
from domain.lead_state import LeadState as Lead
from domain.limits import ShortText
from domain.records import (
    Activity,
    Attachment,
    DuplicateSuspect,
    Note,
)


class MarkedDuplicate(Aggregate.Event):
    """Flagged as a possible duplicate for a person to decide (merge, or not a duplicate).
    v2 may point at a contact as well as a lead (``of_kind``) and lists every look-alike found;
    v1 always pointed at a lead."""

    TOPIC: ClassVar[str] = "domain.lead_events:MarkedDuplicate"

    class_version: ClassVar[int] = 2

    of_id: UUID = Field(description="The lead or contact it most likely duplicates")
    of_kind: Literal["lead", "contact"] = "lead"
    matched_on: ShortText
    candidates: tuple[DuplicateSuspect, ...] = Field(default=(), description="Every look-alike found, best first")

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["of_id"] = state.pop("of_lead_id")
        state["of_kind"] = "lead"

    def apply(self, lead: Lead) -> None:
        lead.duplicate_of = self.of_id
        lead.duplicate_of_kind = self.of_kind


class DuplicateDismissed(Aggregate.Event):
    """A person decided it is not a duplicate of that lead or contact: the pair is never flagged again."""

    TOPIC: ClassVar[str] = "domain.lead_events:DuplicateDismissed"

    of_id: UUID
    of_kind: Literal["lead", "contact"] = "lead"

    def apply(self, lead: Lead) -> None:
        lead.distinct_from.add(self.of_id)
        if lead.duplicate_of == self.of_id:
            lead.duplicate_of = None
            lead.duplicate_of_kind = None


class MergedIntoContact(Aggregate.Event):
    """A duplicate of a customer-master contact, merged into it: archived as Merged, linked to
    the contact and its account (whose histories record the merge too)."""

    TOPIC: ClassVar[str] = "domain.lead_events:MergedIntoContact"

    contact_id: UUID
    account_id: UUID | None = None

    def apply(self, lead: Lead) -> None:
        lead.move(self.type_name())
        lead.merged_into = self.contact_id


class MergedInto(Aggregate.Event):
    """On the duplicate: archived as Merged, pointing at its master."""

    TOPIC: ClassVar[str] = "domain.lead_events:MergedInto"

    master_id: UUID

    def apply(self, lead: Lead) -> None:
        lead.move(self.type_name())
        lead.merged_into = self.master_id


class DuplicateAbsorbed(Aggregate.Event):
    """On the master: which lead, which of its fields won, and the children re-linked here.
    What it carries over becomes the master's: erasing the master erases it."""

    TOPIC: ClassVar[str] = "domain.lead_events:DuplicateAbsorbed"

    personal_data: ClassVar[dict[str, Any]] = whole_lead_personal("fields_taken")

    duplicate_id: UUID
    fields_taken: dict[str, Any]
    activities: tuple[Activity, ...] = ()
    notes: tuple[Note, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    followers: tuple[str, ...] = ()

    def apply(self, lead: Lead) -> None:
        lead.details = lead.details.with_changes(self.fields_taken, trusted=True)
        lead.activities.extend(self.activities)
        lead.notes.extend(self.notes)
        lead.attachments.extend(self.attachments)
        lead.followers.update(self.followers)
        lead.absorbed.append(self.duplicate_id)
