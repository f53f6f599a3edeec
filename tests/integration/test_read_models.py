"""Every read model checked against expectations written down by the script that made the
history, not derived from projection code; then every rebuild checked against the live tables.
Each test runs twice: projections fed by the notification log, and by real Kafka.

The size defaults to 350 leads (every lifecycle path 50 times); set LEADS_TEST_HISTORY_LEADS
to 5000 for the full acceptance run.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.erasure import erase_lead
from domain.picklists import ActivityKind, BantItem, DisqualifyReason
from domain.records import Activity, OpportunityTerms, ScoreBreakdown, Task
from domain.service import LeadService
from domain.values import EventMeta, LeadDetails
from infra.blobs import BlobStore
from infra.runtime import Engine
from projections.dedupe_index import DedupeIndex
from projections.reports import Reports
from tests.integration.helpers import wait_until_all_projected

LEADS = int(os.environ.get("LEADS_TEST_HISTORY_LEADS", "350"))
PATHS = ("new", "contacted", "qualified", "converted", "nurture", "unqualified", "merged")
SOURCES = ("website", "referral", "trade_show")
COUNTRIES = (("GB", "London"), ("US", "CA"), ("DE", "Berlin"), (None, None))
BANT = {BantItem.BUDGET: "50k", BantItem.AUTHORITY: "CTO", BantItem.NEED: "CRM", BantItem.TIMELINE: "Q3"}
TERMS = OpportunityTerms(name="Deal", deal_value=Decimal("1000"), expected_close=date(2027, 1, 1), probability=40)
FEED_KINDS = {
    "captured",
    "assigned",
    "contacted",
    "activity_logged",
    "qualified",
    "nurtured",
    "disqualified",
    "merged_into",
    "duplicate_absorbed",
    "converted",
    "personal_data_erased",
}
ERASE_EVERY = 13
"""Every 13th lead (so every path, 13 and 7 being coprime) has its personal data erased once
the projections have seen it."""


@dataclass
class Expected:
    """What the script says about one lead, kept as the script goes."""

    index: int
    path: str
    source: str
    country: str | None
    owner: str
    status: str = "new"
    events: list[tuple[str, str]] = field(default_factory=list)
    """(event kind, actor) in order."""
    followers: set[str] = field(default_factory=set)
    statuses: list[str] = field(default_factory=lambda: ["new"])
    activities: int = 0
    score: int = 0
    erased: bool = False
    records: dict[str, UUID] = field(default_factory=dict)
    """The account and opportunity its conversion made (each with followers, a task, a change)."""

    @property
    def name(self) -> str:
        return "[erased]" if self.erased else f"Lead {self.index}"


def write_history(s: LeadService, n: int) -> dict[UUID, Expected]:
    expected: dict[UUID, Expected] = {}
    masters: list[UUID] = []
    for i in range(n):
        path, source = PATHS[i % len(PATHS)], SOURCES[i % len(SOURCES)]
        country, region = COUNTRIES[i % len(COUNTRIES)]
        owner, boss = f"rep-{i % 4}", EventMeta(actor="manager-1")
        address = {"country": country, "region": region} if country else None
        details = LeadDetails.model_validate(
            {
                "contact_name": f"Lead {i}",
                "email": f"lead{i}@example.com",
                "company": f"Company {i}",
                "source": source,
                "address": address,
            }
        )
        lead = s.capture_lead(details=details, meta=boss).lead_id
        x = expected[lead] = Expected(i, path, source, country, owner, events=[("captured", "manager-1")])
        s.assign(lead_id=lead, owner=owner, meta=boss)
        x.events.append(("assigned", "manager-1"))
        x.followers.add(owner)
        me = EventMeta(actor=owner)
        if i % 5 == 0:
            s.follow(lead_id=lead, user="watcher", meta=me)
            x.events.append(("followed", owner))
            x.followers.add("watcher")
        s.record_score(
            lead_id=lead,
            breakdown=ScoreBreakdown(demographic=i % 41, behavioral=10, firmographic=5),
            rule_version="r1",
            meta=me,
        )
        x.events.append(("scored", owner))
        x.score = i % 41 + 15

        def step(kind: str, status: str | None = None, x: Expected = x, owner: str = owner) -> None:
            x.events.append((kind, owner))
            if status and status != x.status:
                x.status = status
                x.statuses.append(status)

        if path in ("contacted", "qualified", "converted", "nurture"):
            s.contact(lead_id=lead, via="call", meta=me)
            step("contacted", "contacted")
            s.log_activity(lead_id=lead, activity=activity(owner), meta=me)
            step("activity_logged")
            x.activities += 1
        if path in ("qualified", "converted"):
            s.update_bant(lead_id=lead, changes=dict(BANT), meta=me)
            step("bant_updated")
            s.qualify(lead_id=lead, meta=me)
            step("qualified", "qualified")
        if path == "converted":
            created = s.convert(lead_id=lead, terms=TERMS, meta=me).created
            step("converted", "converted")
            x.records = {k: UUID(str(created[f"{k}_id"])) for k in ("account", "opportunity")}
            work_on_records(s, x.records, me)
        if path == "nurture":
            s.nurture(lead_id=lead, reason="next year", meta=me)
            step("nurtured", "nurture")
        if path == "unqualified":
            s.disqualify(lead_id=lead, reason=DisqualifyReason.NO_BUDGET, meta=me)
            step("disqualified", "unqualified")
        if path == "new":
            masters.append(lead)
        if path == "merged":
            master = masters[-1]
            s.merge(master_id=master, duplicate_ids=[lead], meta=EventMeta(actor=expected[master].owner))
            x.events.append(("merged_into", expected[master].owner))
            x.status = "merged"
            x.statuses.append("merged")
            expected[master].events.append(("duplicate_absorbed", expected[master].owner))
            expected[master].followers |= x.followers
    return expected


def work_on_records(s: LeadService, records: dict[str, UUID], me: EventMeta) -> None:
    """The watcher follows the opportunity, which moves to proposal (one notification, to the
    watcher: the owner moved it); a task on the account (no one follows it: no notification).
    Feed lines: an opportunity's two (opened, moved; a follow is no key change), an account's
    one (registered; several conversions may share it: same domain) plus two per lead converted
    into it (linked, its task)."""
    s.follow_record(kind="opportunity", record_id=records["opportunity"], user="watcher", meta=me)
    s.change_opportunity(opportunity_id=records["opportunity"], stage="proposal", meta=me)
    task = Task(
        task_id=uuid4(),
        subject="Kick-off",
        assignee=me.actor,
        due_at=datetime(2030, 1, 1, tzinfo=UTC),
        created_by=me.actor,
    )
    s.schedule_record_task(kind="account", record_id=records["account"], task=task, meta=me)


def erase_some(engine: Engine, expected: dict[UUID, Expected]) -> None:
    blobs = BlobStore(engine.db, schema=engine.settings.event_schema)
    for lead, x in expected.items():
        if x.index % ERASE_EVERY == ERASE_EVERY // 2:
            erase_lead(
                service=engine.service,
                keys=engine.service.keys,
                blobs=blobs,
                lead_id=lead,
                meta=EventMeta(actor="admin-1"),
                request=f"DSR-{x.index}",
                expected_version=None,
            )
            x.erased = True
            x.events.append(("personal_data_erased", "admin-1"))


def activity(owner: str) -> Activity:
    return Activity(
        activity_id=uuid4(), kind=ActivityKind.CALL, subject="Intro call", logged_by=owner, logged_at=datetime.now(UTC)
    )


def rows(any_engine: Engine, sql: str) -> list[tuple[Any, ...]]:
    with any_engine.db.cursor() as cur:
        cur.execute(sql.format(s=any_engine.settings.read_schema))
        return list(cur.fetchall())


@pytest.fixture(params=["embedded", "kafka"])
def any_engine(request: pytest.FixtureRequest) -> Engine:
    """The same history, read from the notification log and from real Kafka."""
    engine: Engine = request.getfixturevalue("kafka_engine" if request.param == "kafka" else "engine")
    return engine


@pytest.fixture
def history(any_engine: Engine) -> dict[UUID, Expected]:
    expected = write_history(any_engine.service, LEADS)
    any_engine.start_background()
    wait_until_all_projected(any_engine)
    erase_some(any_engine, expected)
    wait_until_all_projected(any_engine)
    return expected


def test_lead_list_holds_each_leads_status_owner_score_and_place(
    any_engine: Engine, history: dict[UUID, Expected]
) -> None:
    got = {
        r[0]: r[1:]
        for r in rows(
            any_engine,
            "SELECT lead_id, contact_name, status, owner, score, source, country, version FROM {s}.lead_list_v4",
        )
    }
    assert got == {
        k: (x.name, x.status, x.owner, x.score, x.source, x.country, len(x.events)) for k, x in history.items()
    }


def test_lead_detail_holds_followers_activities_and_links(any_engine: Engine, history: dict[UUID, Expected]) -> None:
    docs = dict(rows(any_engine, "SELECT lead_id, doc FROM {s}.lead_detail_v1"))
    assert {
        k: (
            d["details"]["contact_name"],
            d["erased"],
            d["status"],
            set(d["followers"]),
            len(d["activities"]),
            d["conversion"] is not None,
        )
        for k, d in docs.items()
    } == {
        k: (x.name, x.erased, x.status, x.followers, x.activities, x.status == "converted") for k, x in history.items()
    }


def test_the_lead_feed_has_one_item_per_key_change_and_notifications_skip_the_actor(
    any_engine: Engine, history: dict[UUID, Expected]
) -> None:
    feed = Counter(r[0] for r in rows(any_engine, "SELECT lead_id FROM {s}.feeds_v1_lead_feed"))
    want_feed = Counter({k: sum(1 for kind, _ in x.events if kind in FEED_KINDS) for k, x in history.items()})
    accounts = Counter(x.records["account"] for x in history.values() if x.records)
    want_feed.update({x.records["opportunity"]: 2 for x in history.values() if x.records})
    want_feed.update({account: 1 + 2 * leads for account, leads in accounts.items()})
    assert feed == want_feed
    notes = Counter(r[0] for r in rows(any_engine, "SELECT recipient FROM {s}.feeds_v1_notifications"))
    want: Counter[str] = Counter()
    for x in history.values():
        audience: set[str] = set()
        for kind, actor in x.events:
            if kind == "assigned":
                audience = audience | {x.owner}
            if kind == "followed":
                audience = audience | {"watcher"}
            if kind == "duplicate_absorbed":
                audience = x.followers
            if kind in FEED_KINDS:
                want.update(audience - {actor})
        if x.records:
            want.update(["watcher"])  # the opportunity it follows moved
    assert notes == want


def test_tasks_on_leads_accounts_and_opportunities_are_listed_by_record(
    any_engine: Engine, history: dict[UUID, Expected]
) -> None:
    got = Counter(rows(any_engine, "SELECT record_id, record FROM {s}.tasks_v2"))
    assert got == Counter((x.records["account"], "account") for x in history.values() if x.records)


def test_aging_knows_each_leads_status_and_every_status_it_passed_through(
    any_engine: Engine, history: dict[UUID, Expected]
) -> None:
    assert dict(rows(any_engine, "SELECT lead_id, status FROM {s}.aging_v1")) == {
        k: x.status
        for k, x in history.items()
        if not x.erased  # nothing ages that accepts no changes
    }
    intervals: dict[UUID, list[str]] = {}
    for lead, status in rows(
        any_engine, "SELECT lead_id, status FROM {s}.aging_v1_intervals ORDER BY lead_id, entered_version"
    ):
        intervals.setdefault(lead, []).append(status)
    assert intervals == {k: x.statuses for k, x in history.items()}


def test_the_dedupe_index_finds_a_lead_by_email_and_forgets_merged_ones(
    any_engine: Engine, history: dict[UUID, Expected]
) -> None:
    index = DedupeIndex(schema=any_engine.settings.read_schema)
    by_path = {x.path: k for k, x in history.items()}
    with any_engine.db.cursor() as cur:
        for path, lead in by_path.items():
            n = next(i for i, k in enumerate(history) if k == lead)
            found = index.candidates(cur, {"contact_name": "Someone", "email": f"LEAD{n}@example.com"})
            if path == "converted" and not history[lead].erased:  # a converted lead stands for its contact
                conversion = any_engine.service.get_lead(lead).conversion
                assert conversion is not None
                assert [(c.record_id, c.kind) for c in found] == [(conversion.contact_id, "contact")], path
                continue
            assert [c.record_id for c in found] == ([] if path == "merged" or history[lead].erased else [lead]), path
        for x in history.values():
            if x.erased:
                assert (
                    index.candidates(
                        cur,
                        {
                            "contact_name": f"Lead {x.index}",
                            "email": f"lead{x.index}@example.com",
                            "company": f"Company {x.index}",
                        },
                    )
                    == []
                )


def test_no_read_model_and_no_stored_event_holds_an_erased_leads_personal_data(
    any_engine: Engine, history: dict[UUID, Expected]
) -> None:
    """Every table with a lead_id column, searched as text for the erased leads' names and emails;
    the stored events of every lead, searched for any lead's name or email."""
    erased = {k: x for k, x in history.items() if x.erased}
    assert erased
    tables = rows(
        any_engine,
        "SELECT table_schema || '.' || table_name FROM information_schema.columns "
        "WHERE table_schema = '{s}' AND column_name = 'lead_id'",
    )
    assert len(tables) >= 8
    for (table,) in tables:
        ids = ", ".join(f"'{k}'" for k in erased)
        found = rows(any_engine, f"SELECT t::text FROM {table} t WHERE lead_id IN ({ids})")
        text = "\n".join(r[0] for r in found)
        leaked = [x.index for x in erased.values() if f"Lead {x.index}" in text or f"lead{x.index}@" in text]
        assert not leaked, f"{table} still holds the personal data of erased leads {leaked}"
    events_table = any_engine.service.recorder.events_table_name  # type: ignore[attr-defined]
    with any_engine.db.cursor() as cur:
        cur.execute(f"SELECT convert_from(state, 'UTF8') FROM {any_engine.settings.event_schema}.{events_table}")
        stored = "\n".join(r[0] for r in cur.fetchall())
    assert "example.com" not in stored and "Lead 1" not in stored and "Intro call" not in stored
    assert "Company 1" in stored, "company names are not personal data and stay readable"


def test_the_reports_count_what_the_script_did(any_engine: Engine, history: dict[UUID, Expected]) -> None:
    reports = Reports(schema=any_engine.settings.read_schema)
    live = [x for x in history.values() if x.status != "merged"]
    with any_engine.db.cursor() as cur:
        funnel = {r["stage"]: r["reached"] for r in reports.funnel(cur, scope=None)}
        sources = {r["source"]: (r["leads"], r["converted"]) for r in reports.sources(cur, scope=None)}
        geography = {r["country"]: r["leads"] for r in reports.geography(cur, scope=None)}
        time_in_status = {
            r["status"]: r["stays"]
            for r in reports.time_in_status(cur, scope=None, now=datetime.now(UTC) + timedelta(days=1))
        }
    assert funnel == {
        stage: sum(1 for x in history.values() if stage in x.statuses)
        for stage in ("new", "contacted", "qualified", "converted")
    }
    assert sources == {
        src: (
            sum(1 for x in live if x.source == src),
            sum(1 for x in live if x.source == src and x.status == "converted"),
        )
        for src in SOURCES
    }
    assert geography == dict(Counter(x.country or "unknown" for x in live))
    assert time_in_status == dict(Counter(s for x in history.values() for s in x.statuses))


def test_every_rebuild_equals_the_incrementally_built_tables(any_engine: Engine, history: dict[UUID, Expected]) -> None:
    for name in any_engine.projections:
        report = any_engine.rebuild(name, lambda done, total: None)
        assert report.equal, f"{name}: rebuilt {report.rebuilt_checksum} != live {report.live_checksum}"
