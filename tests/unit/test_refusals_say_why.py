"""A refused command says why and names the input at fault (``field``), which the API turns into
its problem response; it leaves no event behind."""

from __future__ import annotations

from collections.abc import Callable
from uuid import uuid4

import pytest
from pydantic import ValidationError

from domain.errors import IllegalTransition, InvalidCommand, LeadErased, SubjectErased
from domain.lead import Lead
from domain.picklists import LeadStatus
from domain.values import EventMeta, LeadDetails
from infra.event_store import StoredLeadService
from tests.unit.conftest import META, new_lead
from tests.unit.test_commands_through_the_service import new, note
from tests.unit.test_service import meta

NUL = "must not contain NUL (0x00) characters"


@pytest.mark.parametrize(
    ("command", "message", "field"),
    [
        (lambda lead: lead.assign(owner="  ", meta=META), "owner must not be blank", "owner"),
        (lambda lead: lead.contact(via=" ", meta=META), "say how the lead was contacted", "via"),
        (
            lambda lead: lead.mark_duplicate(of_id=lead.id, matched_on="email", meta=META),
            "a lead cannot duplicate itself",
            "of_id",
        ),
        (
            lambda lead: lead.update_details(changes={"address": {"country": "England"}}, meta=META),
            "address.country: String should match pattern '^[A-Z]{2}$'",
            "address.country",
        ),
        (
            lambda lead: lead.update_details(changes={"tags": ["vip", 7]}, meta=META),
            "tags.1: Input should be a valid string",
            "tags.1",
        ),
        (
            lambda lead: lead.update_details(changes={"phone": "+441234"}, meta=META),
            "phone: is not a valid phone number; write it in international form (+44 20 7946 0958), "
            "or give address.country for a national number",
            "phone",
        ),
        (
            lambda lead: lead.update_details(changes={"email": None}, meta=META),
            "an email or a phone is required",
            "email",
        ),
    ],
    ids=[
        "blank owner",
        "blank via",
        "duplicate of itself",
        "nested field",
        "list item",
        "whole details",
        "unreachable",
    ],
)
def test_a_refused_command_says_why_names_the_field_and_records_nothing(
    command: Callable[[Lead], None], message: str, field: str | None
) -> None:
    lead = new_lead()
    with pytest.raises(InvalidCommand) as refused:
        command(lead)
    assert (str(refused.value), refused.value.field) == (message, field)
    assert lead.version == 1


def test_a_blank_contact_name_is_refused_as_blank() -> None:
    with pytest.raises(ValidationError) as refused:
        LeadDetails(contact_name="   ", email="a@example.com")
    assert (refused.value.errors()[0]["msg"], refused.value.errors()[0]["loc"]) == (
        "must not be blank",
        ("contact_name",),
    )


def test_a_command_not_allowed_in_the_status_names_the_command_and_the_status() -> None:
    lead = new_lead()
    with pytest.raises(IllegalTransition) as refused:
        lead.reopen(meta=META)
    assert (refused.value.command, refused.value.status) == ("reopen", "new")
    assert str(refused.value) == "cannot reopen a lead whose status is new"


def test_an_erased_lead_refuses_a_command_naming_the_lead() -> None:
    lead = new_lead()
    lead.erase_personal_data(request=None, meta=META)
    with pytest.raises(LeadErased) as refused:
        lead.assign(owner="rep-2", meta=META)
    assert refused.value.lead_id == lead.id
    assert str(refused.value) == f"lead {lead.id} had its personal data erased; it accepts no further changes"


def test_erasing_keeps_the_requests_reference_and_erasing_again_records_nothing() -> None:
    lead = new_lead()
    lead.erase_personal_data(request="DSR-17", meta=META)
    lead.erase_personal_data(request="DSR-18", meta=META)
    assert [type(e).__name__ for e in lead.pending_events] == ["LeadCaptured", "PersonalDataErased"]
    assert lead.pending_events[-1].request == "DSR-17"  # type: ignore[attr-defined]


def test_personal_data_for_an_erased_subject_is_refused_naming_the_subject(service: StoredLeadService) -> None:
    lead = new(service)
    stale = service.get_lead(lead)
    service.erase_personal_data(lead_id=lead, meta=meta())
    service.keys.erase([lead])
    stale.add_note(note=note("too late"), meta=META)
    with pytest.raises(SubjectErased) as refused:
        service.save(stale)
    assert refused.value.subject == lead
    assert str(refused.value) == f"{lead} had its personal data erased; no personal data can be stored for it again"


@pytest.mark.parametrize(
    "command",
    [
        lambda lead: lead.update_details(changes={"custom_fields": {"colour\x00": "red"}}, meta=META),
        lambda lead: lead.update_details(changes={"tags": ["vip", "b\x00d"]}, meta=META),
        lambda lead: lead.assign(owner="rep\x00", meta=META),
    ],
    ids=["dict key", "list item", "argument"],
)
def test_a_nul_character_anywhere_is_refused_before_any_event_naming_where(command: Callable[[Lead], None]) -> None:
    lead = new_lead()
    with pytest.raises(InvalidCommand) as refused:
        command(lead)
    assert str(refused.value).endswith(NUL) and refused.value.field
    assert str(refused.value).startswith(refused.value.field)
    assert lead.version == 1


def test_details_or_metadata_with_a_nul_character_cannot_even_be_built() -> None:
    with pytest.raises(ValidationError, match="must not contain NUL"):
        LeadDetails(contact_name="Ada\x00", email="ada@example.com")
    with pytest.raises(ValidationError, match="must not contain NUL"):
        EventMeta(actor="x\x00")


def test_a_lead_without_nul_characters_is_captured_new() -> None:
    lead = Lead.capture(details=LeadDetails(contact_name="Ada", email="ada@example.com"), meta=META, lead_id=uuid4())
    assert (lead.status, lead.version) == (LeadStatus.NEW, 1)
