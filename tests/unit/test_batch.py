"""Batches: many commands, few transactions, the same promises as one command at a time."""

from __future__ import annotations

import threading

import pytest

from domain.command_handling import MAX_EVENTS_PER_SAVE, BatchConflict
from domain.errors import IllegalTransition, InvalidCommand
from domain.picklists import LeadStatus
from domain.service import LeadService
from domain.values import EventMeta, LeadDetails

ADA = LeadDetails(contact_name="Ada", email="ada@example.com")


def meta(key: str) -> EventMeta:
    return EventMeta(actor="intake", command_id=key)


def test_a_batch_saves_every_accepted_command_and_skips_the_refused_one(service: LeadService) -> None:
    with service.batch():
        lead = service.capture_lead(details=ADA, meta=meta("c1")).lead_id
        service.contact(lead_id=lead, via="call", meta=meta("c2"))
        with pytest.raises(IllegalTransition):
            service.reopen(lead_id=lead, meta=meta("c3"))
        service.assign(lead_id=lead, owner="rep-1", meta=meta("c4"))
        assert service.recorder.max_notification_id() in (None, 0), "nothing is saved before the batch ends"
    saved = service.get_lead(lead)
    assert (saved.version, saved.status, saved.owner) == (3, LeadStatus.CONTACTED, "rep-1")


def test_the_same_command_id_twice_in_one_batch_has_one_effect(service: LeadService) -> None:
    lead = service.capture_lead(details=ADA, meta=meta("c1")).lead_id
    with service.batch():
        service.follow(lead_id=lead, user="u1", meta=meta("f1"))
        service.unfollow(lead_id=lead, user="u1", meta=meta("f2"))
        replay = service.follow(lead_id=lead, user="u1", meta=meta("f1"))
    assert replay.replayed
    assert service.get_lead(lead).followers == set()


def test_commands_in_a_batch_need_a_command_id(service: LeadService) -> None:
    with pytest.raises(InvalidCommand, match="command id"), service.batch():
        service.capture_lead(details=ADA, meta=EventMeta(actor="x"))


def test_a_large_batch_is_saved_in_several_transactions_at_command_boundaries(service: LeadService) -> None:
    with service.batch():
        leads = [service.capture_lead(details=ADA, meta=meta(f"c{i}")).lead_id for i in range(MAX_EVENTS_PER_SAVE)]
        assert service.recorder.max_notification_id(), "flushed before the end of the batch"
    assert all(service.get_lead(lead).version == 1 for lead in leads)
    assert service.recorder.max_notification_id() == 2 * MAX_EVENTS_PER_SAVE


def test_a_batch_that_loses_a_race_saves_nothing_and_says_so(service: LeadService) -> None:
    lead = service.capture_lead(details=ADA, meta=meta("c1")).lead_id
    with pytest.raises(BatchConflict), service.batch():
        service.assign(lead_id=lead, owner="rep-1", meta=meta("a1"))
        other = threading.Thread(target=lambda: service.contact(lead_id=lead, via="call", meta=meta("x1")))
        other.start()
        other.join()
    saved = service.get_lead(lead)
    assert (saved.version, saved.owner) == (2, None)


def test_a_batch_assuming_new_commands_refuses_a_repeat_and_one_by_one_it_has_one_effect(service: LeadService) -> None:
    lead = service.capture_lead(details=ADA, meta=meta("c1")).lead_id
    service.assign(lead_id=lead, owner="rep-1", meta=meta("a1"))
    commands = [
        lambda: service.contact(lead_id=lead, via="call", meta=meta("k1")),
        lambda: service.assign(lead_id=lead, owner="rep-1", meta=meta("a1")),
        lambda: service.follow(lead_id=lead, user="u1", meta=meta("f1")),
    ]
    with pytest.raises(BatchConflict), service.batch(assume_new=True):
        for command in commands:
            command()
    assert service.get_lead(lead).version == 2, "the failed batch saved nothing"
    for command in commands:
        command()
    saved = service.get_lead(lead)
    assert (saved.version, saved.owner, saved.followers) == (4, "rep-1", {"rep-1", "u1"})
