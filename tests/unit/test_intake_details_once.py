"""An intake capture's details are validated once, when the message is read (issue #21): the
details the command gets are exactly what validating them again would give."""

from __future__ import annotations

from consumers.intake_commands import details_of
from domain.contract.intake import CaptureLead
from domain.values import LeadDetails


def test_a_captures_details_are_what_validating_them_again_would_give() -> None:
    message = CaptureLead.model_validate(
        {
            "contact_name": "Ann Lee",
            "email": "Ann@Example.com",
            "phone": "020 7946 0958",
            "address": {"country": "GB"},
            "tags": ["vip"],
            "custom_fields": {"budget": "high"},
            "lead_id": "6f1c2d64-1b9c-4d3e-9a3e-1f2b3c4d5e6f",
        }
    )
    once = details_of(message)
    twice = LeadDetails.model_validate(message.model_dump(exclude={"lead_id"}))
    assert type(once) is LeadDetails and once == twice
    assert once.model_dump_json() == twice.model_dump_json()
    assert once.phone == "+442079460958"
