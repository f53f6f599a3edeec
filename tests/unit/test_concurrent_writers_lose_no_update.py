"""Two writers on one lead: the store refuses the second save (the library's IntegrityError on
the lead's next version). Without an expected version the loser is re-run on the fresh lead, so
no update is lost; with one, or after three lost races, the caller is told to reload."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError

from domain.errors import VersionConflict
from domain.service import LeadService
from infra.event_store import StoredLeadService
from infra.subject_keys import MemoryKeyStore
from tests.unit.test_commands_through_the_service import new, note
from tests.unit.test_service import meta


class LosingSaves:
    """Stands in for ``service.save``: the next ``losses`` saves of the command under test lose a
    race. Each time, ``competitor`` (another writer) commits first, then the save fails as the
    store would make it fail."""

    def __init__(self, service: LeadService, losses: int, competitor: Callable[[], object] | None = None) -> None:
        self.save = service.save
        self.losses = losses
        self.competitor = competitor
        self.attempts = 0
        self.competing = False

    def __call__(self, *objs: Any, **kwargs: Any) -> Any:
        if self.competing:
            return self.save(*objs, **kwargs)
        self.attempts += 1
        if self.losses:
            self.losses -= 1
            if self.competitor:
                self.competing = True
                try:
                    self.competitor()
                finally:
                    self.competing = False
            raise IntegrityError("duplicate key value violates unique constraint")
        return self.save(*objs, **kwargs)


def lose(
    monkeypatch: pytest.MonkeyPatch, service: LeadService, losses: int, competitor: Callable[[], object] | None = None
) -> LosingSaves:
    saves = LosingSaves(service, losses, competitor)
    monkeypatch.setattr(service, "save", saves)
    return saves


def events_of(service: LeadService, lead: UUID) -> list[str]:
    return [type(e).__name__ for e in service.history(lead)]


@pytest.mark.parametrize("losses", [1, 2])
def test_a_command_that_loses_a_race_is_retried_on_the_fresh_lead_and_no_update_is_lost(
    service: LeadService, monkeypatch: pytest.MonkeyPatch, losses: int
) -> None:
    lead = new(service)
    owners = iter(["rep-2", "rep-3"])
    saves = lose(monkeypatch, service, losses, lambda: service.assign(lead_id=lead, owner=next(owners), meta=meta()))
    result = service.add_note(lead_id=lead, note=note("likes engines"), meta=meta())
    assert saves.attempts == losses + 1
    reloaded = service.get_lead(lead)
    assert (result.version, reloaded.version) == (losses + 2, losses + 2)
    assert reloaded.owner == f"rep-{losses + 1}" and [n.text for n in reloaded.notes] == ["likes engines"]
    assert events_of(service, lead) == ["LeadCaptured", *["Assigned"] * losses, "NoteAdded"]


def test_a_command_that_loses_three_races_asks_the_caller_to_reload_and_retry(
    service: LeadService, monkeypatch: pytest.MonkeyPatch
) -> None:
    lead = new(service)
    saves = lose(monkeypatch, service, 3)
    with pytest.raises(VersionConflict) as conflict:
        service.add_note(lead_id=lead, note=note(), meta=meta())
    assert saves.attempts == 3
    assert (conflict.value.aggregate_id, conflict.value.expected, conflict.value.actual) == (lead, None, None)
    assert str(conflict.value) == f"lead {lead} was changed by another writer; reload and retry"
    assert service.get_lead(lead).version == 1


def test_a_command_with_an_expected_version_that_loses_a_race_is_refused_at_once(
    service: LeadService, monkeypatch: pytest.MonkeyPatch
) -> None:
    lead = new(service)
    saves = lose(monkeypatch, service, 1, lambda: service.assign(lead_id=lead, owner="rep-2", meta=meta()))
    with pytest.raises(VersionConflict) as conflict:
        service.add_note(lead_id=lead, note=note(), meta=meta(), expected_version=1)
    assert saves.attempts == 1
    assert conflict.value.aggregate_id == lead
    assert events_of(service, lead) == ["LeadCaptured", "Assigned"]


def test_of_two_writers_with_one_command_id_the_loser_returns_the_winners_result(
    service: LeadService, monkeypatch: pytest.MonkeyPatch
) -> None:
    lead = new(service)
    winner: list[object] = []
    lose(
        monkeypatch,
        service,
        1,
        lambda: winner.append(service.contact(lead_id=lead, via="call", meta=meta("contact-7"))),
    )
    result = service.contact(lead_id=lead, via="call", meta=meta("contact-7"))
    assert result.replayed and (result.lead_id, result.version) == (lead, 2)
    assert events_of(service, lead) == ["LeadCaptured", "Contacted"]


def test_a_merge_that_loses_its_race_to_the_same_merge_returns_that_merges_result(
    service: LeadService, monkeypatch: pytest.MonkeyPatch
) -> None:
    master, dup = new(service), new(service)
    lose(monkeypatch, service, 1, lambda: service.merge(master_id=master, duplicate_ids=[dup], meta=meta("merge-1")))
    result = service.merge(master_id=master, duplicate_ids=[dup], meta=meta("merge-1"))
    assert result.replayed and (result.lead_id, result.version) == (master, 2)
    assert events_of(service, dup) == ["LeadCaptured", "MergedInto"]


def test_a_merge_that_loses_a_race_is_a_conflict_for_the_caller_to_retry(
    service: LeadService, monkeypatch: pytest.MonkeyPatch
) -> None:
    master, dup = new(service), new(service)
    lose(monkeypatch, service, 1)
    with pytest.raises(VersionConflict) as conflict:
        service.merge(master_id=master, duplicate_ids=[dup], meta=meta("merge-1"))
    assert conflict.value.aggregate_id == master
    assert service.get_lead(dup).merged_into is None


def test_a_result_carries_the_log_position_of_the_commands_last_row(service: LeadService) -> None:
    lead = new(service)
    assert service.recorder.max_notification_id() == 1
    result = service.contact(lead_id=lead, via="call", meta=meta("contact-1"))
    assert result.position == service.recorder.max_notification_id() == 3
    assert service.contact(lead_id=lead, via="call", meta=meta("contact-1")).position is None, "replayed"


def test_settings_given_to_the_service_reach_the_event_store() -> None:
    plain = StoredLeadService(env={}, keys=MemoryKeyStore())
    snapshotting = StoredLeadService(env={"IS_SNAPSHOTTING_ENABLED": "y"}, keys=MemoryKeyStore())
    assert plain.snapshots is None and snapshotting.snapshots is not None
