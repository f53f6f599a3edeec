"""Background scoring against real PostgreSQL: a re-scoring interrupted part way resumes after
the last lead it reported and gives each lead whose score moved exactly one ``Scored``; decay
emits only when a score falls by a whole point, on a controlled clock, and a second sweep at
the same moment emits nothing."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from consumers.rescoring import DecayMonitor, Rescorer, ScoringSettings
from domain.lead import Lead
from domain.lead_events import Scored
from domain.picklists import SignalKind
from domain.records import Note, Signal
from domain.score_values import ScoreCause
from domain.scoring import ScoringModel
from domain.values import EventMeta, LeadDetails
from infra.runtime import Engine
from projections.open_leads import OpenLeads
from tests.integration.helpers import lead_rows, run_in_thread, wait_until_caught_up

ADMIN = EventMeta(actor="admin-1")
T0 = datetime(2026, 12, 1, 9, tzinfo=UTC)
DACH: dict[str, Any] = {
    "id": "dach",
    "category": "demographic",
    "points": 20,
    "conditions": [{"field": "country", "op": "equals", "value": "DE"}],
}


def publish(engine: Engine, **model: Any) -> None:
    engine.service.save_scoring_draft(model=ScoringModel.model_validate(model), meta=ADMIN)
    engine.service.publish_scoring_model(meta=ADMIN)


def scores(engine: Engine, lead_id: UUID) -> list[Scored]:
    return [e for e in engine.service.events.get(lead_id) if isinstance(e, Scored)]


def project_the_lead_list(engine: Engine) -> None:
    """Only the list the workers read: no background re-scorer races the ones under test."""
    engine.prepare_read_store()
    run_in_thread(engine.consumer("lead_list"))


def worker(engine: Engine, cls: type[Rescorer] | type[DecayMonitor], stop: threading.Event) -> Any:
    return cls(
        service=engine.service,
        open_leads=OpenLeads(schema=engine.settings.read_schema),
        cursor=engine.db.cursor,
        settings=ScoringSettings(page=2, rescore_per_s=10_000),
        interval_s=1,
        stop=stop,
    )


def test_an_interrupted_rescoring_resumes_and_scores_each_moved_lead_once(engine: Engine) -> None:
    project_the_lead_list(engine)
    engine.service.clock = lambda: T0  # type: ignore[method-assign]
    publish(engine, criteria=[DACH])
    countries = ["DE", "FR", "DE", "DE", "FR"]
    ids = [
        engine.service.capture_lead(
            details=LeadDetails(contact_name=f"L{i}", email=f"l{i}@example.com", address={"country": c}),
            meta=ADMIN,
        ).lead_id
        for i, c in enumerate(countries)
    ]
    wait_until_caught_up(engine)
    publish(engine, criteria=[{**DACH, "points": 30}])

    stop = threading.Event()
    first = worker(engine, Rescorer, stop)
    visit = first._visit

    def visit_then_crash(batch: list[UUID], *, version: int | None) -> int:
        moved: int = visit(batch, version=version)
        stop.set()  # the process dies after its first page
        return moved

    first._visit = visit_then_crash  # type: ignore[method-assign]
    first.sweep(now=T0)
    halfway = engine.service.scoring_models(fresh=True).rescoring
    assert halfway is not None and (halfway.done, halfway.finished) == (2, False)

    worker(engine, Rescorer, threading.Event()).sweep(now=T0)
    done = engine.service.scoring_models(fresh=True).rescoring
    assert done is not None and (done.done, done.total, done.changed, done.finished) == (5, 5, 3, True)
    by_model = {i: [s.model_version for s in scores(engine, i) if s.cause is ScoreCause.MODEL] for i in ids}
    assert [by_model[i] for i in ids] == [[2], [], [2], [2], []]
    assert worker(engine, Rescorer, threading.Event()).sweep(now=T0) == 0, "a finished re-scoring does nothing"


def test_decay_emits_only_when_a_whole_point_fades_and_never_twice(engine: Engine) -> None:
    project_the_lead_list(engine)
    service = engine.service
    service.clock = lambda: T0  # type: ignore[method-assign]
    signals = [{"id": "dl", "signal": "content_downloaded", "points": 20}]
    publish(engine, signals=signals, decay={"kind": "half_life", "days": 10})
    lead = service.capture_lead(details=LeadDetails(contact_name="D", email="d@example.com"), meta=ADMIN).lead_id
    service.record_signal(lead_id=lead, signal=Signal(kind=SignalKind.CONTENT_DOWNLOADED, occurred_at=T0), meta=ADMIN)
    wait_until_caught_up(engine)
    monitor = worker(engine, DecayMonitor, threading.Event())

    service.clock = lambda: T0 + timedelta(hours=3)  # type: ignore[method-assign]
    assert monitor.sweep(now=T0) == 0, "19.83 still rounds to 20"
    service.clock = lambda: T0 + timedelta(days=10)  # type: ignore[method-assign]
    assert monitor.sweep(now=T0) == 1
    assert monitor.sweep(now=T0) == 0, "the same moment again: nothing moved"
    decayed = [s for s in scores(engine, lead) if s.cause is ScoreCause.DECAY]
    assert [s.breakdown.behavioral for s in decayed] == [10]


def transactions_of(engine: Engine, lead_ids: list[UUID], event: type) -> list[int]:
    """How many events of type ``event`` each transaction wrote for these leads (by ``xmin``,
    the id of the transaction that inserted the row)."""
    recorder: Any = engine.service.recorder
    table = f"{recorder.datastore.schema}.{recorder.events_table_name}"
    with engine.db.cursor() as cur:
        cur.execute(
            f"SELECT count(*) FROM {table} WHERE originator_id = ANY(%s::uuid[]) AND topic LIKE %s "
            "GROUP BY xmin::text ORDER BY 1",
            ([str(i) for i in lead_ids], f"%:{event.__name__}"),
        )
        return [row[0] for row in cur.fetchall()]


def test_a_page_is_saved_in_one_transaction_with_one_event_per_moved_lead(engine: Engine) -> None:
    service = engine.service
    service.clock = lambda: T0  # type: ignore[method-assign]
    publish(engine, criteria=[DACH])
    countries = ["DE", "FR", "DE", "DE", "FR", "DE"]
    details = [
        LeadDetails(contact_name=f"L{i}", email=f"l{i}@example.com", address={"country": c})
        for i, c in enumerate(countries)
    ]
    ids = [service.capture_lead(details=d, meta=ADMIN).lead_id for d in details]
    publish(engine, criteria=[{**DACH, "points": 30}])
    version = service.scoring_models(fresh=True).model_version

    assert service.rescore_leads(lead_ids=ids, cause=ScoreCause.MODEL, meta=ADMIN, version=version) == 4
    by_model = [[s.model_version for s in scores(engine, i) if s.cause is ScoreCause.MODEL] for i in ids]
    assert by_model == [[2], [], [2], [2], [], [2]]
    dach = [i for i, c in zip(ids, countries, strict=True) if c == "DE"]
    assert transactions_of(engine, dach, Scored) == [1, 1, 1, 1, 4], "4 captures, then the page in one transaction"


def test_a_page_whose_save_loses_a_race_is_saved_lead_by_lead_each_moved_once(engine: Engine) -> None:
    """A rep's note lands on a lead of the page between its load and the page's save: the save
    is refused whole, and each lead is then scored again on fresh state."""
    service = engine.service
    publish(engine, criteria=[DACH])
    ids = [
        service.capture_lead(
            details=LeadDetails(contact_name=f"L{i}", email=f"l{i}@example.com", address={"country": "DE"}),
            meta=ADMIN,
        ).lead_id
        for i in range(3)
    ]
    publish(engine, criteria=[{**DACH, "points": 30}])
    version = service.scoring_models(fresh=True).model_version
    raced: list[UUID] = []

    def clock_with_a_rep_writing() -> datetime:
        if not raced:
            raced.append(ids[0])  # scored first: loaded, and now stale
            service.add_note(
                lead_id=ids[0], note=Note(note_id=uuid4(), text="call me", author="rep-1", added_at=T0), meta=ADMIN
            )
        return T0

    service.clock = clock_with_a_rep_writing  # type: ignore[method-assign]
    assert service.rescore_leads(lead_ids=ids, cause=ScoreCause.MODEL, meta=ADMIN, version=version) == 3
    assert [[s.model_version for s in scores(engine, i) if s.cause is ScoreCause.MODEL] for i in ids] == [[2]] * 3
    assert len(transactions_of(engine, ids, Scored)) == 3 + 3, "3 captures, then 3 saves, one lead each"
    assert [type(e).__name__ for e in service.events.get(ids[0])][-2:] == ["NoteAdded", "Scored"]


def test_a_page_of_leads_loads_in_one_read_as_each_loads_alone(engine: Engine) -> None:
    service = engine.service
    publish(engine, criteria=[DACH])
    ids = [
        service.capture_lead(
            details=LeadDetails(contact_name=f"L{i}", email=f"l{i}@example.com", address={"country": "DE"}),
            meta=ADMIN,
        ).lead_id
        for i in range(3)
    ]
    service.adjust_score(lead_id=ids[1], points=7, reason="fair", meta=ADMIN)
    service.erase_personal_data(lead_id=ids[2], meta=ADMIN)
    page = service._load_page(Lead, [ids[2], uuid4(), ids[0], ids[1]])
    alone = [service.get_lead(i) for i in (ids[2], ids[0], ids[1])]
    seen = [(x.id, x.version, x.details, x.score, x.erased) for x in page]
    assert seen == [(x.id, x.version, x.details, x.score, x.erased) for x in alone], "in order, the unknown id left out"
    assert page[2].score == 27 and page[0].erased


def test_the_list_shows_a_reclassified_lead_by_the_new_bands_and_threshold(engine: Engine) -> None:
    project_the_lead_list(engine)
    service = engine.service
    publish(engine, criteria=[DACH])
    lead = service.capture_lead(
        details=LeadDetails(contact_name="A", email="a@example.com", address={"country": "DE"}), meta=ADMIN
    ).lead_id
    service.adjust_score(lead_id=lead, points=35, reason="fair", meta=ADMIN)  # 55: warm, MQL
    wait_until_caught_up(engine)
    assert (lead_rows(engine)[str(lead)]["temperature"], lead_rows(engine)[str(lead)]["stage"]) == ("warm", "mql")
    publish(engine, criteria=[DACH], bands={"cold_max": 15, "warm_max": 50}, mql_threshold=60)
    assert worker(engine, Rescorer, threading.Event()).sweep(now=T0) == 1
    wait_until_caught_up(engine)
    row = lead_rows(engine)[str(lead)]
    assert (row["score"], row["temperature"], row["stage"]) == (55, "hot", "lead"), "55 > 50: hot; 55 < 60: not MQL"
