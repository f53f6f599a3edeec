"""A lead's status as the events tell it, for every read model that tracks status."""

from __future__ import annotations

from projections.envelope import Envelope

STATUS_OF = {
    "captured": "new",
    "qualified": "qualified",
    "nurtured": "nurture",
    "disqualified": "unqualified",
    "merged_into": "merged",
    "converted": "converted",
}
OPEN_STATUSES = ("new", "contacted", "qualified", "nurture")
"""Statuses in which a lead is still being worked (and can grow old)."""


def status_after(current: str | None, e: Envelope) -> str | None:
    """The status once ``e`` applied to a lead in ``current`` (unchanged for most events)."""
    if e.name == "contacted":
        return "contacted" if current == "new" else current
    if e.name == "reopened":
        return str(e.payload["to_status"])
    return STATUS_OF.get(e.name, current)
