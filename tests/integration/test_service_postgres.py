"""Idempotency, optimistic concurrency and data keys against the real PostgreSQL event store."""

from __future__ import annotations

import threading
from uuid import uuid4

import pytest

from domain.errors import DomainError, SubjectErased, VersionConflict
from domain.service import CommandResult
from domain.values import EventMeta, LeadDetails
from infra.event_store import StoredLeadService
from infra.postgres import eventsourcing_env
from infra.runtime import Engine
from infra.subject_keys import PostgresKeyStore

ADA = LeadDetails(contact_name="Ada", email="ada@example.com")


def test_the_same_command_id_twice_records_one_event(engine: Engine) -> None:
    meta = EventMeta(actor="form", command_id="submission-42")
    first = engine.service.capture_lead(details=ADA, meta=meta)
    second = engine.service.capture_lead(details=ADA, meta=meta)
    assert second.lead_id == first.lead_id and second.replayed
    assert len(engine.service.history(first.lead_id)) == 1


def test_concurrent_duplicates_of_one_command_have_one_effect(engine: Engine) -> None:
    """Both callers pass the pre-check; the record's unique version makes one save fail,
    and that caller gets the winner's result."""
    lead_id = engine.service.capture_lead(details=ADA, meta=EventMeta(actor="a")).lead_id
    other = StoredLeadService(env=eventsourcing_env(engine.db, engine.settings), keys=engine.service.keys)
    results = race(
        [
            lambda s=s: s.contact(lead_id=lead_id, via="call", meta=EventMeta(actor="a", command_id="c-1"))
            for s in (engine.service, other)
        ]
    )
    assert all(isinstance(r, CommandResult) and r.version == 2 for r in results)
    assert len(engine.service.history(lead_id)) == 2
    other.close()


def test_two_writers_with_the_same_expected_version_exactly_one_wins(engine: Engine) -> None:
    other = StoredLeadService(env=eventsourcing_env(engine.db, engine.settings), keys=engine.service.keys)
    for round_ in range(10):
        lead_id = engine.service.capture_lead(details=ADA, meta=EventMeta(actor="a")).lead_id
        results = race(
            [
                lambda s=s, o=o, lead_id=lead_id: s.assign(
                    lead_id=lead_id, owner=o, meta=EventMeta(actor=o), expected_version=1
                )
                for s, o in ((engine.service, "rep-a"), (other, "rep-b"))
            ]
        )
        winners = [r for r in results if isinstance(r, CommandResult)]
        losers = [r for r in results if isinstance(r, VersionConflict)]
        assert (len(winners), len(losers)) == (1, 1), f"round {round_}: {results}"
        lead = engine.service.get_lead(lead_id)
        assert lead.version == 2 and lead.owner in ("rep-a", "rep-b")
    other.close()


def test_without_an_expected_version_a_lost_race_is_retried_and_no_update_is_lost(engine: Engine) -> None:
    other = StoredLeadService(env=eventsourcing_env(engine.db, engine.settings), keys=engine.service.keys)
    lead_id = engine.service.capture_lead(details=ADA, meta=EventMeta(actor="a")).lead_id
    results = race(
        [
            lambda s=s, u=u: s.follow(lead_id=lead_id, user=u, meta=EventMeta(actor=u))
            for s, u in ((engine.service, "u1"), (other, "u2"))
        ]
    )
    assert all(isinstance(r, CommandResult) for r in results), results
    assert engine.service.get_lead(lead_id).followers == {"u1", "u2"}
    other.close()


def test_two_captures_of_one_new_lead_store_one_key_the_one_its_events_were_sealed_with(engine: Engine) -> None:
    """Each writer creates a key for the new lead; only the transaction whose events commit
    stores its key, so what was stored can always be read back."""
    other = StoredLeadService(
        env=eventsourcing_env(engine.db, engine.settings),
        keys=PostgresKeyStore(engine.db, schema=engine.settings.event_schema, cache_s=60),
    )
    for round_ in range(5):
        lead_id = uuid4()
        results = race(
            [
                lambda s=s, e=e, lead_id=lead_id: s.capture_lead(
                    details=LeadDetails(contact_name="Ada", email=e), meta=EventMeta(actor="a"), lead_id=lead_id
                )
                for s, e in ((engine.service, "one@example.com"), (other, "two@example.com"))
            ]
        )
        winners = [r for r in results if isinstance(r, CommandResult)]
        assert len(winners) == 1 and all(isinstance(r, DomainError) for r in results if r not in winners), results
        reader = StoredLeadService(
            env=eventsourcing_env(engine.db, engine.settings),
            keys=PostgresKeyStore(engine.db, schema=engine.settings.event_schema, cache_s=0),
        )
        assert reader.get_lead(lead_id).details.email in ("one@example.com", "two@example.com"), f"round {round_}"
        assert all(s.get_lead(lead_id).details == reader.get_lead(lead_id).details for s in (engine.service, other))
        reader.close()
        with engine.db.cursor() as cur:
            cur.execute(
                f"SELECT count(*) FROM {engine.settings.event_schema}.subject_keys WHERE subject_id = %s",
                (str(lead_id),),
            )
            assert cur.fetchone() == (1,)
    other.close()


def race(calls: list[object]) -> list[object]:
    """Run the calls at the same moment in threads; collect each result or exception."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i: int, call: object) -> None:
        barrier.wait()
        try:
            results[i] = call()  # type: ignore[operator]
        except Exception as e:
            results[i] = e

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_an_erasure_reaches_every_process_and_binds_subjects_that_had_no_key_yet(engine: Engine) -> None:
    lead_id = engine.service.capture_lead(details=ADA, meta=EventMeta(actor="a")).lead_id
    never_keyed = uuid4()
    engine.service.keys.erase([lead_id, never_keyed])
    elsewhere = PostgresKeyStore(engine.db, schema=engine.settings.event_schema, cache_s=0)
    assert elsewhere.key_for_reading(lead_id) is None
    with pytest.raises(SubjectErased):
        elsewhere.key_for_writing(never_keyed, first_event=False)
