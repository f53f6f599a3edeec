"""Merging duplicates into a master: one or more distinct duplicates, never the master itself,
only fields a lead has, and each duplicate's chosen fields taken from that duplicate alone."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

import pytest

from domain.errors import InvalidCommand
from domain.lead_events import DuplicateAbsorbed
from domain.picklists import LeadStatus
from domain.service import LeadService
from domain.values import LeadDetails
from tests.unit.conftest import META, new_lead
from tests.unit.test_commands_through_the_service import events_of, new
from tests.unit.test_service import ADA, meta

PHONE_ONLY = LeadDetails(contact_name="Ada L.", phone="+442079460958", job_title="Countess")
OTHER_EMAIL = LeadDetails(contact_name="A. Lovelace", email="countess@example.com", job_title="Analyst")


def refused_merge(service: LeadService, master: UUID, duplicates: list[UUID], **kwargs: object) -> InvalidCommand:
    before = service.recorder.max_notification_id()
    with pytest.raises(InvalidCommand) as refused:
        service.merge(master_id=master, duplicate_ids=duplicates, meta=meta(), **kwargs)  # type: ignore[arg-type]
    assert service.recorder.max_notification_id() == before, "a refused merge saves nothing"
    return refused.value


def test_a_merge_needs_at_least_one_duplicate(service: LeadService) -> None:
    refused = refused_merge(service, new(service), [])
    assert (str(refused), refused.field) == ("name one or more distinct duplicates", "duplicate_ids")


def test_a_merge_naming_one_duplicate_twice_is_refused(service: LeadService) -> None:
    dup = new(service, PHONE_ONLY)
    refused = refused_merge(service, new(service), [dup, dup])
    assert (str(refused), refused.field) == ("name one or more distinct duplicates", "duplicate_ids")
    assert service.get_lead(dup).status is LeadStatus.NEW


def test_a_lead_cannot_be_merged_into_itself(service: LeadService) -> None:
    master = new(service)
    refused = refused_merge(service, master, [master])
    assert (str(refused), refused.field) == ("a lead cannot be merged into itself", "duplicate_ids")


def test_taking_fields_a_lead_does_not_have_is_refused_naming_them(service: LeadService) -> None:
    master, dup = new(service), new(service, PHONE_ONLY)
    refused = refused_merge(service, master, [dup], take_fields={dup: ["phone", "shoe_size", "hat"]})
    assert (str(refused), refused.field) == ("unknown lead fields: shoe_size, hat", "take_fields")


def test_each_duplicate_gives_only_the_fields_chosen_from_it(service: LeadService) -> None:
    master, first, second = new(service), new(service, PHONE_ONLY), new(service, OTHER_EMAIL)
    result = service.merge(master_id=master, duplicate_ids=[first, second], take_fields={first: ["phone"]}, meta=meta())
    merged = service.get_lead(master)
    assert (result.lead_id, result.version) == (master, 3)
    assert (merged.details.phone, merged.details.email, merged.details.job_title) == ("+442079460958", ADA.email, None)
    assert merged.absorbed == [first, second]
    assert [service.get_lead(d).merged_into for d in (first, second)] == [master, master]
    assert events_of(service, master) == ["LeadCaptured", "DuplicateAbsorbed", "DuplicateAbsorbed"]


def test_a_merge_without_chosen_fields_keeps_the_masters_details(service: LeadService) -> None:
    master, dup = new(service), new(service, PHONE_ONLY)
    service.merge(master_id=master, duplicate_ids=[dup], meta=meta())
    assert service.get_lead(master).details == ADA


def test_fields_taken_from_a_duplicate_are_recorded_as_published_json(service: LeadService) -> None:
    master = new(service)
    dup = new(
        service,
        PHONE_ONLY.model_copy(update={"annual_revenue": Decimal("1250000.50"), "company_size": 40}),
    )
    service.merge(
        master_id=master, duplicate_ids=[dup], take_fields={dup: ["annual_revenue", "company_size"]}, meta=meta()
    )
    merged = service.get_lead(master)
    assert (merged.details.annual_revenue, merged.details.company_size) == (Decimal("1250000.50"), 40)
    absorbed = service.history(master)[-1]
    assert isinstance(absorbed, DuplicateAbsorbed)
    assert absorbed.fields_taken == {"annual_revenue": "1250000.50", "company_size": 40}


def test_the_master_records_the_taken_fields_as_json_values_as_soon_as_it_absorbs() -> None:
    master = new_lead()
    dup = new_lead(annual_revenue=Decimal("99.90"), address={"city": "London", "country": "GB"})
    master.absorb(dup, take_fields=["annual_revenue", "address"], meta=META)
    event = master.pending_events[-1]
    assert isinstance(event, DuplicateAbsorbed)
    assert event.fields_taken == {
        "annual_revenue": "99.90",
        "address": {"street": None, "city": "London", "region": None, "postal_code": None, "country": "GB"},
    }
