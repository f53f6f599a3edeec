"""Picklist values are accepted the way people write them (``Website``, ``Trade Show``,
``trade-show``) at every entrance, and only ever stored, published and documented in their
canonical lowercase form."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from api.command_models import ActivityBody, BantBody, DisqualifyBody, LeadChanges
from api.query_models import LeadFilters, ListQuery
from domain.contract.intake import CaptureLead, DisqualifyLead, RecordSignal
from domain.lead_events import LeadCaptured
from domain.picklists import (
    ActivityKind,
    BantItem,
    DisqualifyReason,
    LeadSource,
    LeadStatus,
    Picklist,
    Priority,
    SignalKind,
    Temperature,
    picklist_key,
)
from domain.values import LeadDetails
from tests.unit.conftest import new_lead

PICKLISTS: list[type[Picklist]] = [
    LeadStatus,
    LeadSource,
    Priority,
    DisqualifyReason,
    SignalKind,
    ActivityKind,
    BantItem,
    Temperature,
]


@pytest.mark.parametrize(
    "written", ["trade_show", "Trade Show", "TRADE SHOW", "trade-show", "Trade_Show", " trade  show "]
)
def test_a_picklist_value_is_read_in_any_case_with_spaces_dashes_or_underscores(written: str) -> None:
    assert TypeAdapter(LeadSource).validate_python(written) is LeadSource.TRADE_SHOW
    assert TypeAdapter(LeadSource).validate_json(f'"{written}"') is LeadSource.TRADE_SHOW


@pytest.mark.parametrize("picklist", PICKLISTS, ids=lambda p: p.__name__)
def test_every_picklist_reads_the_title_case_and_upper_case_spellings_of_each_value(picklist: type[Picklist]) -> None:
    adapter = TypeAdapter(picklist)
    for member in picklist:
        for written in (member.value.replace("_", " ").title(), member.value.upper(), member.value.replace("_", "-")):
            assert adapter.validate_python(written) is member, written


def test_the_canonical_spelling_is_lowercase_with_underscores() -> None:
    assert picklist_key("  Email -- Campaign ") == "email_campaign"
    assert picklist_key("WEB_FORM") == "web_form"


def test_an_unknown_picklist_value_is_refused_listing_every_accepted_value() -> None:
    with pytest.raises(ValidationError) as refused:
        LeadDetails.model_validate({"contact_name": "Ann", "email": "ann@example.com", "source": "Television"})
    error = refused.value.errors()[0]
    assert error["loc"] == ("source",)
    assert error["msg"].startswith("must be one of: " + ", ".join(s.value for s in LeadSource))
    assert "any case" in error["msg"]


def test_a_value_that_is_not_text_is_still_refused() -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(Priority).validate_python(3)


def test_the_captured_event_carries_the_canonical_value_whatever_was_written() -> None:
    lead = new_lead(source="Trade Show", priority="HIGH")
    (captured,) = lead.collect_events()
    assert isinstance(captured, LeadCaptured)
    dumped = captured.details.model_dump(mode="json")
    assert (dumped["source"], dumped["priority"]) == ("trade_show", "high")


def test_the_published_json_schemas_list_only_the_canonical_values() -> None:
    schema = LeadDetails.model_json_schema()
    assert schema["$defs"]["LeadSource"]["enum"] == [s.value for s in LeadSource]
    assert schema["$defs"]["Priority"]["enum"] == ["low", "medium", "high", "critical"]


def dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude_none=True, exclude_defaults=True)


def test_api_bodies_read_written_picklist_values() -> None:
    assert dump(ActivityBody.model_validate({"kind": "Meeting", "subject": "Demo"}))["kind"] == "meeting"
    assert dump(BantBody.model_validate({"changes": {"Budget": "50k", "TIMELINE": "Q3"}})) == {
        "changes": {"budget": "50k", "timeline": "Q3"}
    }
    assert DisqualifyBody.model_validate({"reason": "No Budget"}).reason is DisqualifyReason.NO_BUDGET
    changes = LeadChanges.model_validate({"source": "Social-Media", "priority": "Critical"})
    assert dump(changes) == {"source": "social_media", "priority": "critical"}


def test_list_filters_and_saved_views_read_written_picklist_values() -> None:
    filters = LeadFilters.model_validate(
        {"status": "Qualified", "source": "Trade Show", "priority": "LOW", "temperature": "Hot"}
    )
    assert dump(filters) == {"status": "qualified", "source": "trade_show", "priority": "low", "temperature": "hot"}
    assert ListQuery.model_validate({"source": "Website"}).to_filter().source == "website"


def test_intake_messages_read_written_picklist_values() -> None:
    lead = "00000000-0000-4000-8000-000000000001"
    assert RecordSignal.model_validate({"lead_id": lead, "kind": "Email Opened"}).kind is SignalKind.EMAIL_OPENED
    assert DisqualifyLead.model_validate({"lead_id": lead, "reason": "no-need"}).reason is DisqualifyReason.NO_NEED
    captured = CaptureLead.model_validate({"contact_name": "Ann", "email": "ann@example.com", "source": "Website"})
    assert captured.source is LeadSource.WEBSITE


def test_python_code_may_build_a_member_from_a_written_value_too() -> None:
    assert LeadSource("Cold Call") is LeadSource.COLD_CALL
    with pytest.raises(ValueError):
        LeadSource("television")
