"""Invalid input is refused before any event exists, naming the field at fault."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from domain.errors import InvalidCommand
from domain.lead import Lead
from domain.records import Attachment, OpportunityTerms, ScoreBreakdown
from domain.values import EventMeta, LeadDetails
from tests.unit.conftest import META, new_lead


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"contact_name": "   ", "email": "a@example.com"}, "must not be blank"),
        ({"contact_name": "Ann", "email": "not-an-email"}, "invalid email address"),
        ({"contact_name": "Ann", "phone": "12"}, "is not a phone number"),
        ({"contact_name": "Ann", "phone": "020 7946 0958"}, "national number"),
        (
            {"contact_name": "Ann", "email": "a@example.com", "source": "television"},
            "must be one of: website, email_campaign",
        ),
        (
            {"contact_name": "Ann", "email": "a@example.com", "priority": "urgent"},
            "must be one of: low, medium, high, critical",
        ),
        ({"contact_name": "Ann", "email": "a@example.com", "company_size": 0}, "greater than or equal to 1"),
        ({"contact_name": "Ann", "email": "a@example.com", "annual_revenue": -5}, "greater than or equal to 0"),
        ({"contact_name": "Ann", "email": "a@example.com", "address": {"country": "England"}}, "pattern"),
        ({"contact_name": "Ann", "email": "a@example.com", "favourite_colour": "red"}, "Extra inputs"),
    ],
)
def test_invalid_lead_details_are_refused(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        LeadDetails.model_validate(fields)


def test_a_lead_without_an_email_or_a_phone_cannot_be_captured() -> None:
    with pytest.raises(InvalidCommand, match="an email or a phone is required") as refused:
        Lead.capture(details=LeadDetails(contact_name="Ann"), meta=META)
    assert refused.value.field == "email"


def test_phones_are_normalised_to_e164_using_the_country_for_national_numbers() -> None:
    assert LeadDetails(contact_name="A", phone="+44 20 7946 0958").phone == "+442079460958"
    national = LeadDetails.model_validate({"contact_name": "A", "phone": "020 7946 0958", "address": {"country": "GB"}})
    assert national.phone == "+442079460958"


def test_emails_are_normalised() -> None:
    assert LeadDetails(contact_name="A", email="ann@EXAMPLE.com").email == "ann@example.com"


def test_an_update_that_breaks_a_rule_is_refused_without_an_event() -> None:
    lead = new_lead()
    with pytest.raises(InvalidCommand) as refused:
        lead.update_details(changes={"email": None}, meta=META)
    assert "email or a phone" in str(refused.value)
    with pytest.raises(InvalidCommand) as refused:
        lead.update_details(changes={"email": "nope"}, meta=META)
    assert refused.value.field == "email"
    assert lead.version == 1


def test_an_update_records_only_the_changed_fields_and_nothing_when_nothing_changed() -> None:
    lead = new_lead(company="Acme")
    lead.update_details(changes={"company": "Acme", "job_title": "CTO"}, meta=META)
    event = lead.pending_events[-1]
    assert event.changes == {"job_title": "CTO"}
    lead.update_details(changes={"company": "Acme"}, meta=META)
    assert lead.version == 2


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda lead: lead.assign(owner=" ", meta=META), "owner"),
        (lambda lead: lead.contact(via="", meta=META), "via"),
        (lambda lead: lead.adjust_score(points=10, reason=" ", meta=META), "reason"),
        (lambda lead: lead.adjust_score(points=0, reason="why", meta=META), "points"),
        (lambda lead: lead.adjust_score(points=101, reason="why", meta=META), "points"),
        (lambda lead: lead.mark_duplicate(of_id=lead.id, matched_on="email", meta=META), "of_id"),
        (lambda lead: lead.absorb(lead, take_fields=[], meta=META), "duplicate_ids"),
        (lambda lead: lead.absorb(new_lead(), take_fields=["shoe_size"], meta=META), "take_fields"),
    ],
)
def test_invalid_commands_name_the_field(call: Any, field: str) -> None:
    lead = new_lead()
    with pytest.raises(InvalidCommand) as refused:
        call(lead)
    assert refused.value.field == field
    assert lead.version == 1


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: ScoreBreakdown(demographic=41, behavioral=0, firmographic=0), "less than or equal to 40"),
        (lambda: ScoreBreakdown(demographic=0, behavioral=0, firmographic=21), "less than or equal to 20"),
        (
            lambda: OpportunityTerms(name="D", deal_value=Decimal(1), expected_close=date(2027, 1, 1), probability=101),
            "less than or equal to 100",
        ),
        (
            lambda: Attachment.model_validate(
                {
                    "attachment_id": "00000000-0000-0000-0000-000000000001",
                    "name": "a",
                    "media_type": "pdf",
                    "size": 1,
                    "content_hash": "a" * 64,
                    "added_by": "u",
                    "added_at": "2026-01-01T00:00:00Z",
                }
            ),
            "pattern",
        ),
        (lambda: EventMeta(actor=""), "at least 1 character"),
        (lambda: EventMeta(actor="x\x00"), "NUL"),
    ],
)
def test_value_objects_refuse_out_of_range_input(build: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        build()


@pytest.mark.parametrize(
    "command",
    [
        lambda lead: lead.assign(owner="rep\x00", meta=META),
        lambda lead: lead.update_details(changes={"company": "Ac\x00me"}, meta=META),
    ],
    ids=["argument", "value object"],
)
def test_a_nul_character_anywhere_in_a_command_is_refused_before_any_event(command: Any) -> None:
    lead = new_lead()
    with pytest.raises(InvalidCommand, match="NUL"):
        command(lead)
    assert lead.version == 1


def test_the_readme_lists_every_limit_with_its_setting() -> None:
    from pathlib import Path

    from domain.limits import Limits

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    missing = [name for name in Limits.model_fields if f"`LEADS_LIMITS__{name.upper()}`" not in readme]
    assert missing == []
