"""Where a Lead's events hold personal data: the paths the event store seals with the lead's
own key, and what each reads once the key is destroyed (erasure)."""

from __future__ import annotations

from typing import Any

from domain.values import ERASED


def details_personal(prefix: str) -> dict[str, Any]:
    """The personal fields of lead details (or of a dict of changed details) under ``prefix``:
    who the person is and how to reach them. Company, industry, country and region stay
    readable, so reports keep counting an erased lead."""
    return {
        f"{prefix}.contact_name": ERASED,
        f"{prefix}.email": None,
        f"{prefix}.phone": None,
        f"{prefix}.job_title": None,
        f"{prefix}.custom_fields": {},
        f"{prefix}.address.street": None,
        f"{prefix}.address.city": None,
        f"{prefix}.address.postal_code": None,
    }


def activity_personal(prefix: str) -> dict[str, Any]:
    return {f"{prefix}.subject": ERASED, f"{prefix}.outcome": None, f"{prefix}.next_step": None}


def whole_lead_personal(details: str) -> dict[str, Any]:
    """A whole lead's personal fields: its details under ``details``, and its activities,
    notes and attachments (as a merge carries them, and as a lead's document holds them)."""
    return {
        **details_personal(details),
        **activity_personal("activities[*]"),
        "notes[*].text": ERASED,
        "attachments[*].name": ERASED,
    }
