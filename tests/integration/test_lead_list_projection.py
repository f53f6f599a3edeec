"""lead_list projected from the notification log (embedded mode) on real PostgreSQL."""

from __future__ import annotations

from uuid import UUID

import orjson
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from domain.lead_events import DetailsUpdated, PersonalDataErased
from domain.records import ScoreBreakdown
from domain.values import EventMeta, LeadDetails
from infra.health import health
from infra.runtime import Engine
from infra.settings import Settings
from tests.conftest import wait_for
from tests.integration.helpers import lead_rows, run_in_thread, wait_until_caught_up

META = EventMeta(actor="rep-1")


def test_the_list_shows_each_leads_current_status_owner_score_and_details(engine: Engine) -> None:
    s = engine.service
    ada = s.capture_lead(details=LeadDetails(contact_name="Ada", email="ada@example.com"), meta=META).lead_id
    bob = s.capture_lead(details=LeadDetails(contact_name="Bob", phone="+14155552671"), meta=META).lead_id
    s.assign(lead_id=ada, owner="rep-7", meta=META)
    s.contact(lead_id=ada, via="call", meta=META)
    s.record_score(
        lead_id=ada,
        breakdown=ScoreBreakdown(demographic=20, behavioral=10, firmographic=5),
        rule_version="r1",
        meta=META,
    )
    s.adjust_score(lead_id=ada, points=10, reason="referral", meta=META)
    s.update_details(lead_id=bob, changes={"company": "Bob & Co"}, meta=META)
    s.merge(master_id=ada, duplicate_ids=[bob], take_fields={bob: ["company"]}, meta=META)
    engine.start_background()
    wait_until_caught_up(engine)
    rows = lead_rows(engine)
    a, b = rows[str(ada)], rows[str(bob)]
    assert (a["status"], a["owner"], a["score"], a["company"]) == ("contacted", "rep-7", 45, "Bob & Co")
    assert a["first_contacted_at"] is not None and a["version"] == s.get_lead(ada).version
    assert (b["status"], b["version"]) == ("merged", 3)


def test_a_restarted_consumer_resumes_and_applies_nothing_twice(settings: Settings) -> None:
    first = Engine.open(settings)
    lead = first.service.capture_lead(details=LeadDetails(contact_name="Ada", email="a@example.com"), meta=META).lead_id
    first.service.adjust_score(lead_id=lead, points=10, reason="r", meta=META)
    first.start_background()
    wait_until_caught_up(first)
    first.close()
    second = Engine.open(settings)
    second.service.adjust_score(lead_id=lead, points=5, reason="r", meta=META)
    second.start_background()
    wait_until_caught_up(second)
    assert lead_rows(second)[str(lead)]["score"] == 15, "an adjustment applied twice would show 25"
    second.close()


def test_where_configured_a_poison_event_halts_the_projection_naming_the_lead_and_version(settings: Settings) -> None:
    engine = Engine.open(settings.model_copy(update={"poison_policy": "halt"}))
    lead = insert_poison(engine)
    runner = engine.consumer("lead_list")
    engine.workers.append(runner)
    thread = run_in_thread(runner)
    thread.join(timeout=15)
    assert runner.status.startswith(f"halted at lead {lead} version 2")
    report = health(engine)
    assert report["status"] == "degraded"
    assert report["components"]["consumers"]["lead_list_v4"]["status"].startswith(f"halted at lead {lead} version 2")
    assert lead_rows(engine)[str(lead)]["version"] == 1, "the events before the poison one are kept"
    engine.close()


def test_stop_finishes_cleanly_between_batches(engine: Engine) -> None:
    runner = engine.consumer("lead_list")
    thread = run_in_thread(runner)
    wait_for(lambda: runner.status == "running", what="runner to start")
    engine.stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive() and runner.status == "stopped"


def insert_poison(engine: Engine) -> UUID:
    s = engine.service
    lead = s.capture_lead(details=LeadDetails(contact_name="Ada", email="a@example.com"), meta=META).lead_id
    bad = {"timestamp": "2026-11-01T00:00:00+00:00", "meta": {"actor": "x"}, "changes": {"contact_name": None}}
    s.recorder.insert_events(
        [
            StoredEvent(
                originator_id=lead, originator_version=2, topic=get_topic(DetailsUpdated), state=orjson.dumps(bad)
            )
        ]
    )
    return lead


def test_by_default_a_poison_event_is_quarantined_the_projection_goes_on_and_health_names_it(
    settings: Settings,
) -> None:
    engine = Engine.open(settings)
    try:
        lead = insert_poison(engine)
        later = engine.service.capture_lead(details=LeadDetails(contact_name="Bo", email="b@example.com"), meta=META)
        engine.start_background()
        wait_until_caught_up(engine)
        assert str(later.lead_id) in lead_rows(engine), "events after the poison one are applied"
        with engine.db.cursor() as cur:
            cur.execute(
                f"SELECT lead_id, version, event_type, reason FROM {settings.read_schema}.quarantine "
                "WHERE projection = 'lead_list_v4'"
            )
            ((q_lead, q_version, q_type, q_reason),) = cur.fetchall()
        assert (q_lead, q_version, q_type) == (lead, 2, "lead.details_updated.v1") and "null value" in q_reason
        report = health(engine)
        consumers = report["components"]["consumers"]
        assert consumers["lead_list_v4"]["quarantined"] == 1 and consumers["lead_list_v4"]["status"] == "running"
        assert report["status"] == "degraded" and "lead_list_v4 quarantined 1 event(s)" in report["problems"]
        assert quarantined_payloads(engine) == [True]
        erasure = {"timestamp": "2026-11-02T00:00:00+00:00", "meta": {"actor": "admin"}, "request": None}
        engine.service.recorder.insert_events(
            [
                StoredEvent(
                    originator_id=lead,
                    originator_version=3,
                    topic=get_topic(PersonalDataErased),
                    state=orjson.dumps(erasure),
                )
            ]
        )
        wait_until_caught_up(engine)
        assert quarantined_payloads(engine) == [False], "an erasure blanks the quarantined copies of the lead's events"
    finally:
        engine.close()


def quarantined_payloads(engine: Engine) -> list[bool]:
    """Whether each quarantined event of lead_list still holds its payload."""
    with engine.db.cursor() as cur:
        cur.execute(
            f"SELECT payload IS NOT NULL FROM {engine.settings.read_schema}.quarantine "
            "WHERE projection = 'lead_list_v4'"
        )
        return [r[0] for r in cur.fetchall()]
