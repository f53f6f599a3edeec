"""What an import will do with each row: the dry run's verdict, which the confirm then carries
out as it stands (nothing is decided again at confirm time).

A row is created, rejected (line, field, reason), already imported (this very file's row was
imported before: idempotency by file hash and line), or a duplicate: it looks like existing
leads by the domain's one duplicate policy (``domain.duplicates``), or like an earlier row of
the same file, and the import's policy says what happens to it: ``skip`` it, ``create`` it
anyway (flagged as a possible duplicate, as every entrance that never loses a lead does),
``update`` the best match with the fields the row fills, or ``merge`` it into the best match
(captured, then absorbed, so the match's history shows the merge).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import Field

from domain.duplicates import Candidate
from domain.import_rows import Parsed, Rejection
from domain.picklists import Picklist
from domain.values import Frozen, LeadDetails


class DuplicatePolicy(Picklist):
    SKIP = "skip"
    CREATE = "create"
    UPDATE = "update"
    MERGE = "merge"


class Outcome(StrEnum):
    CREATED = "created"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    IMPORTED = "imported"
    """This file's row was imported before; nothing more happens."""


class RowAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    MERGE = "merge"
    SKIP = "skip"
    NONE = "none"


class Match(Frozen):
    lead_id: UUID
    contact_name: str
    matched_on: tuple[str, ...]


class RowPlan(Frozen):
    """One row's verdict: what the dry run reports and the confirm does."""

    line: int
    outcome: Outcome
    action: RowAction
    field: str | None = None
    reason: str | None = None
    candidates: tuple[Match, ...] = ()
    target: UUID | None = Field(default=None, description="The lead updated, merged into, or imported before")
    details: dict[str, Any] | None = Field(default=None, description="The lead to capture (create, merge)")
    changes: dict[str, Any] | None = Field(default=None, description="The fields an update changes")

    @property
    def counted_as(self) -> str:
        """The dry run's count this row falls in."""
        if self.outcome is Outcome.REJECTED:
            return "rejected"
        if self.outcome is Outcome.IMPORTED:
            return "imported_before"
        return {
            RowAction.CREATE: "create",
            RowAction.UPDATE: "update",
            RowAction.MERGE: "merge",
            RowAction.SKIP: "skip",
            RowAction.NONE: "unchanged",
        }[self.action]


def rejected(rejection: Rejection) -> RowPlan:
    return RowPlan(
        line=rejection.line,
        outcome=Outcome.REJECTED,
        action=RowAction.NONE,
        field=rejection.field,
        reason=rejection.reason,
    )


def changes_for(row: Parsed, current: LeadDetails) -> dict[str, Any]:
    """The fields the row fills whose values differ from the lead's; an address or custom
    fields are merged part by part (an empty cell never blanks a lead's value)."""
    new, old = row.details.model_dump(mode="json"), current.model_dump(mode="json")
    changes: dict[str, Any] = {}
    for field in row.given:
        value = new[field]
        if field in ("address", "custom_fields"):
            value = {**(old.get(field) or {}), **{k: v for k, v in (value or {}).items() if v is not None}}
        if old.get(field) != value:
            changes[field] = value
    return changes


def decide(
    row: Parsed,
    *,
    policy: DuplicatePolicy,
    candidates: list[Candidate],
    earlier_line: int | None,
    imported_as: UUID | None,
    current: Callable[[UUID], LeadDetails | None],
) -> RowPlan:
    """The verdict on a valid row. ``earlier_line``: an earlier row of this file with the same
    email or phone; ``imported_as``: the lead this very row became when the file was imported
    before; ``current``: a lead's details now (the write side's, for an update)."""
    details = row.details.model_dump(mode="json")
    if imported_as is not None:
        return RowPlan(
            line=row.line,
            outcome=Outcome.IMPORTED,
            action=RowAction.NONE,
            target=imported_as,
            reason="this row of this file was imported before",
        )
    # an import updates or merges into leads: look-alike contacts and accounts are the
    # customer master's to flag once the lead exists, as at every other door
    matches = tuple(
        Match(lead_id=c.record_id, contact_name=c.contact_name, matched_on=c.matched_on)
        for c in candidates
        if c.kind == "lead"
    )
    if earlier_line is not None and policy is not DuplicatePolicy.CREATE:
        return RowPlan(
            line=row.line,
            outcome=Outcome.DUPLICATE,
            action=RowAction.SKIP,
            reason=f"same email or phone as line {earlier_line} of this file; skipped",
        )
    if not matches:
        return RowPlan(line=row.line, outcome=Outcome.CREATED, action=RowAction.CREATE, details=details)
    best = matches[0]
    said = f"looks like lead {best.lead_id} ({', '.join(best.matched_on)})"
    if policy is DuplicatePolicy.SKIP:
        return RowPlan(
            line=row.line,
            outcome=Outcome.DUPLICATE,
            action=RowAction.SKIP,
            candidates=matches,
            reason=f"{said}; skipped",
        )
    if policy is DuplicatePolicy.CREATE:
        reason = f"{said}; created anyway, flagged as its possible duplicate"
        return RowPlan(
            line=row.line,
            outcome=Outcome.DUPLICATE,
            action=RowAction.CREATE,
            candidates=matches,
            details=details,
            reason=reason,
        )
    if policy is DuplicatePolicy.MERGE:
        return RowPlan(
            line=row.line,
            outcome=Outcome.DUPLICATE,
            action=RowAction.MERGE,
            candidates=matches,
            target=best.lead_id,
            details=details,
            reason=f"{said}; will be merged into it",
        )
    existing = current(best.lead_id)
    changes = changes_for(row, existing) if existing is not None else {}
    if not changes:
        return RowPlan(
            line=row.line,
            outcome=Outcome.DUPLICATE,
            action=RowAction.NONE,
            candidates=matches,
            target=best.lead_id,
            reason=f"{said}; it already has these values",
        )
    return RowPlan(
        line=row.line,
        outcome=Outcome.DUPLICATE,
        action=RowAction.UPDATE,
        candidates=matches,
        target=best.lead_id,
        changes=changes,
        reason=f"{said}; will update {', '.join(sorted(changes))}",
    )
