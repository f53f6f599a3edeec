"""Batches (the intake's high-volume path): saved once enough rows are pending, always at a
command boundary, counting again from zero after each save; the same answers as one command
at a time."""

from __future__ import annotations

from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError

from domain import command_handling
from domain.command_handling import BatchConflict
from domain.customers import Account
from domain.errors import InvalidCommand
from domain.picklists import LeadStatus
from domain.service import LeadService
from domain.values import EventMeta
from tests.unit.test_commands_through_the_service import new, prepare_qualified
from tests.unit.test_service import ADA, TERMS, meta


@pytest.mark.parametrize("limit", [3, 4])
def test_a_batch_saves_as_soon_as_its_pending_rows_reach_the_limit_and_counts_again_from_zero(
    service: LeadService, monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    """Each capture is two rows (its event and its idempotency record)."""
    monkeypatch.setattr(command_handling, "MAX_EVENTS_PER_SAVE", limit)
    saved_after_each = []
    with service.batch():
        for i in range(4):
            service.capture_lead(details=ADA, meta=meta(f"capture-{i}"))
            saved_after_each.append(service.recorder.max_notification_id() or 0)
    assert saved_after_each == [0, 4, 4, 8]
    assert service.recorder.max_notification_id() == 8


def test_commands_in_a_batch_need_a_command_id_and_the_error_names_it(service: LeadService) -> None:
    with pytest.raises(InvalidCommand) as refused, service.batch():
        service.capture_lead(details=ADA, meta=EventMeta(actor="intake"))
    assert str(refused.value) == "commands in a batch need a command id"
    assert refused.value.field == "command_id"
    assert not service.recorder.max_notification_id()


def test_a_batch_that_loses_a_race_says_what_the_store_refused(
    service: LeadService, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*objs: Any, **kwargs: Any) -> Any:
        raise IntegrityError("duplicate key value violates unique constraint stored_events_pkey")

    with pytest.raises(BatchConflict) as conflict, service.batch():
        service.capture_lead(details=ADA, meta=meta("capture-1"))
        monkeypatch.setattr(service, "save", refuse)
    assert str(conflict.value) == "duplicate key value violates unique constraint stored_events_pkey"


def test_inside_a_batch_an_older_version_of_a_lead_reads_as_it_was(service: LeadService) -> None:
    lead = new(service)
    service.contact(lead_id=lead, via="call", meta=meta())
    with service.batch():
        service.assign(lead_id=lead, owner="rep-2", meta=meta("assign-1"))
        assert service.get_lead(lead).owner == "rep-2", "the batch's own change is seen"
        as_captured = service.get_lead(lead, version=1)
        assert (as_captured.version, as_captured.status, as_captured.owner) == (1, LeadStatus.NEW, None)
    assert service.get_lead(lead).version == 3


def test_a_conversion_inside_a_batch_returns_the_ids_it_creates(service: LeadService) -> None:
    lead = new(service)
    prepare_qualified(service, lead)
    with service.batch():
        result = service.convert(lead_id=lead, terms=TERMS, meta=meta("convert-1"))
    assert set(result.created) == {"opportunity_id", "account_id", "contact_id"}
    account: object = service.repository.get(result.created["account_id"])
    assert isinstance(account, Account) and account.lead_ids == [lead]
