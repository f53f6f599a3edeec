"""Which fields of an event are personal data (sealed in the store and on Kafka, erased with the
lead's key), and what each reads once erased: the person, how to reach them, and what reps wrote
about them; never what reports count (company, industry, country, region)."""

from __future__ import annotations

from typing import Any

from domain.lead_events import DuplicateAbsorbed, LeadCaptured
from domain.lead_personal import whole_lead_personal
from domain.values import ERASED

DETAILS: dict[str, Any] = {
    "contact_name": ERASED,
    "email": None,
    "phone": None,
    "job_title": None,
    "custom_fields": {},
    "address.street": None,
    "address.city": None,
    "address.postal_code": None,
}


def test_a_whole_leads_personal_fields_are_its_details_activities_notes_and_attachments() -> None:
    assert whole_lead_personal("lead") == {
        **{f"lead.{field}": erased for field, erased in DETAILS.items()},
        "activities[*].subject": ERASED,
        "activities[*].outcome": None,
        "activities[*].next_step": None,
        "notes[*].text": ERASED,
        "attachments[*].name": ERASED,
    }


def test_a_merge_seals_the_fields_it_takes_and_everything_it_carries_over() -> None:
    assert DuplicateAbsorbed.personal_data == whole_lead_personal("fields_taken")
    assert LeadCaptured.personal_data == {f"details.{field}": erased for field, erased in DETAILS.items()}
