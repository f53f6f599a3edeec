"""One function per stage: each returns (our figure, the baseline's figure) in the same unit."""

from __future__ import annotations

import io
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from bench.baseline import PlainApp, PlainLead
from domain.access import Role
from domain.contract.cloudevents import to_kafka
from domain.contract.intake import intake_type
from domain.directory import TeamRoster, UserProfile
from domain.lead import Lead
from domain.routing import ActionKind, Condition, Operator, Rule, RuleAction
from domain.values import EventMeta, LeadDetails
from infra.kafka_bus import admin_client, make_producer
from infra.kafka_stream import KafkaMessageStream
from infra.postgres import eventsourcing_env
from infra.runtime import Engine
from projections.lead_list import LeadList
from projections.lead_queries import LeadFilter, LeadQueries
from projections.reports import Reports

META = EventMeta(actor="bench")


def until(condition: Callable[[], bool], what: str, *, timeout_s: float = 600) -> None:
    """Wait for ``condition``; a stage whose work never finishes fails saying what it waited for,
    instead of hanging the run."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"bench: waited {timeout_s:.0f} s for {what}")
        time.sleep(0.01)


def projected(engine: Engine, consumer: str, position: int) -> bool:
    """Whether ``consumer`` has applied the log up to ``position``."""
    with engine.db.cursor() as cur:
        return engine.positions.load(cur, consumer=consumer, source="log").get(0, 0) >= position


def rate(count: int, work: Callable[[], None]) -> float:
    started = time.perf_counter()
    work()
    return count / (time.perf_counter() - started)


def details(i: int) -> LeadDetails:
    return LeadDetails(contact_name=f"Lead {i}", email=f"lead{i}@example.com")


def command_path(engine: Engine, leads: int) -> tuple[float, float]:
    """Events/s: capture + contact + assign + follow, one command per transaction."""
    s = engine.service

    def ours() -> None:
        for i in range(leads):
            lead = s.capture_lead(details=details(i), meta=META).lead_id
            s.contact(lead_id=lead, via="call", meta=META)
            s.assign(lead_id=lead, owner="rep-1", meta=META)
            s.follow(lead_id=lead, user="manager", meta=META)

    plain = PlainApp(env=eventsourcing_env(engine.db, engine.settings))

    def baseline() -> None:
        for i in range(leads):
            lead = PlainLead(name=f"Lead {i}", email=f"lead{i}@example.com")
            plain.save(lead)
            for step, arg in (("contact", "call"), ("assign", "rep-1"), ("follow", "manager")):
                lead = plain.repository.get(lead.id)
                getattr(lead, step)(arg)
                plain.save(lead)

    result = rate(4 * leads, ours), rate(4 * leads, baseline)
    plain.close()
    return result


def rules(engine: Engine, count: int) -> None:
    """A directory of 7 reps in one team, and ``count`` rules of which only the last matches the
    leads the bench captures: every capture evaluates all of them, then takes a round-robin turn
    (``count`` 0: an empty list, so the fallback queue takes every lead)."""
    s, team = engine.service, [f"rep-{i}" for i in range(7)]
    for name in team:
        s.add_user(name=name, profile=UserProfile(roles=(Role.REP,), capacity=100_000), meta=META)
    s.set_team(name="inbound", roster=TeamRoster(members=tuple(team)), meta=META)
    misses = [
        Rule(
            id=f"territory-{i}",
            name=f"Territory {i}",
            conditions=(
                Condition(field="country", op=Operator.IN, value=[f"X{i % 10}", f"Y{i % 10}"]),
                Condition(
                    field="postal_code", op=Operator.RANGE, value={"min": str(i * 100), "max": str(i * 100 + 99)}
                ),
            ),
            action=RuleAction(kind=ActionKind.ROUND_ROBIN, target="inbound"),
        )
        for i in range(count - 1)
    ]
    everyone = Rule(id="everyone", name="Everyone", action=RuleAction(kind=ActionKind.ROUND_ROBIN, target="inbound"))
    s.publish_rules(rules=(*misses, everyone) if count else (), meta=META)


def routing(engines: dict[str, Engine], leads: int) -> dict[str, float]:
    """Captures/s of each engine: ``off`` has routing not set up (no rule list was ever
    published: leads stay unassigned), ``none`` an empty rule list (the fallback queue takes
    every lead), ``one`` a single catch-all round-robin rule, ``hundred`` 100 rules (all
    evaluated, then a round-robin turn). Blocks of 25 alternate between the engines so drift
    hits all of them."""
    rules(engines["none"], 0)
    rules(engines["one"], 1)
    rules(engines["hundred"], 100)
    spent = dict.fromkeys(engines, 0.0)
    for start in range(0, leads, 25):
        for name, engine in engines.items():
            began = time.perf_counter()
            for i in range(start, min(leads, start + 25)):
                engine.service.capture_lead(details=details(i), meta=META)
            spent[name] += time.perf_counter() - began
    return {name: leads / seconds for name, seconds in spent.items()}


def intake(engine: Engine, messages: int) -> tuple[float, float]:
    """Messages/s from the intake topic applied, vs saves of plain aggregates in batches of the same size."""
    s = engine.settings
    head = engine.service.recorder.max_notification_id() or 0
    worker = engine.intake()
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    stream = worker.stream
    assert isinstance(stream, KafkaMessageStream)
    # joined the group: the clock starts with the first message
    until(lambda: bool(stream.consumer.assignment()), "the intake consumer to join its group")
    started = time.perf_counter()
    producer = KafkaProducer(bootstrap_servers=s.kafka_bootstrap_servers, linger_ms=5)
    for i in range(messages):
        body = f'{{"contact_name": "In {i}", "email": "in{i}@example.com"}}'.encode()
        headers = [
            ("ce_specversion", b"1.0"),
            ("ce_id", str(uuid.uuid4()).encode()),
            ("ce_source", b"urn:bench"),
            ("ce_type", intake_type("capture").encode()),
        ]
        producer.send(s.intake_topic, value=body, headers=headers)
    producer.flush()
    producer.close()
    # Each capture records the lead's event and its idempotency record: two log entries.
    until(
        lambda: (engine.service.recorder.max_notification_id() or 0) >= head + 2 * messages,
        f"{messages} intake messages to be applied (dead-lettered ones never are)",
    )
    ours = messages / (time.perf_counter() - started)
    plain = PlainApp(env=eventsourcing_env(engine.db, engine.settings))

    def baseline() -> None:
        for start in range(0, messages, s.batch_size):
            plain.save(
                *[
                    PlainLead(name=f"In {i}", email=f"in{i}@example.com")
                    for i in range(start, min(messages, start + s.batch_size))
                ]
            )

    result = ours, rate(messages, baseline)
    plain.close()
    return result


def relay(engine: Engine, events: int) -> tuple[float, float]:
    """Events/s from the log to Kafka, vs kafka-python sending the same bytes with the same settings."""
    s = engine.settings
    for start in range(0, events, 400):
        engine.service.save(
            *[Lead.capture(details=details(i), meta=META) for i in range(start, min(events, start + 400))]
        )
    head = engine.service.recorder.max_notification_id() or 0
    engine.prepare_read_store()
    raw_topic = f"{s.topic_prefix}bench-raw"
    admin = admin_client(s)
    admin.create_topics({raw_topic: {"num_partitions": s.topic_partitions}}, wait_for_metadata=True)
    admin.close()
    worker = engine.relay()
    thread = threading.Thread(target=worker.run, daemon=True)
    started = time.perf_counter()
    thread.start()
    until(lambda: _relay_position(engine) >= head, "the relay to publish every event")
    ours = events / (time.perf_counter() - started)
    envelopes, _ = engine.event_log.read(start=1, limit=events, sealed=True)
    encoded = [to_kafka(e) for e in envelopes]
    producer = make_producer(s, client_id="bench-raw")

    def baseline() -> None:
        futures = [producer.send(raw_topic, key=k, value=v, headers=h) for k, v, h in encoded]
        producer.flush()
        for f in futures:
            f.get()

    result = ours, rate(len(encoded), baseline)
    producer.close()
    return result


def _relay_position(engine: Engine) -> int:
    with engine.db.cursor() as cur:
        return engine.positions.load(cur, consumer="relay", source="log").get(0, 0)


def rss_growth(sample: Callable[[], Any], load: Callable[[], None]) -> tuple[float, float]:
    """Peak RSS (MiB) of a consumer while it works through a load, and its RSS once warmed up."""
    warm = sample()
    peak = warm
    done = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, sample())
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    load()
    done.set()
    watcher.join()
    return peak, warm


def rebuild_from_kafka(engine: Engine, events: int) -> tuple[float, float]:
    """Events/s for every read model rebuilt from the events topic (fresh tables, one fresh
    consumer group whose one reader decodes and opens each event once and feeds them all), vs
    one raw kafka-python loop COPYing each event's lead, version, type and payload into a table.
    Run after :func:`relay` filled the topic."""
    group = f"{engine.settings.consumer_group}.rebuild"
    s = engine.settings.model_copy(update={"read_schema": "bench_rebuild", "consumer_group": group})
    with engine.db.cursor() as cur:
        cur.execute(f"CREATE SCHEMA IF NOT EXISTS {s.read_schema}")
    fresh = Engine(settings=s, db=engine.db, service=engine.service)
    fresh.prepare_read_store()
    probe = KafkaConsumer(bootstrap_servers=s.kafka_bootstrap_servers)
    parts = [TopicPartition(s.events_topic, p) for p in sorted(probe.partitions_for_topic(s.events_topic) or [])]
    ends = {tp.partition: end for tp, end in probe.end_offsets(parts).items() if end > 0}
    probe.close()
    # One reader fanning out to every read model fed by the topic (customers reads the store's log).
    names = [n for n, p in fresh.projections.items() if not getattr(p, "log_only", False)]
    runners = [fresh.fan_out(names, client_id="bench-rebuild")]
    threads = [threading.Thread(target=r.run, daemon=True) for r in runners]
    started = time.perf_counter()
    for t in threads:
        t.start()
    members = [m for r in runners for m in r.members]
    until(lambda: all(_reached(fresh, m, ends) for m in members), "every projection to rebuild")
    ours = events / (time.perf_counter() - started)
    fresh.stop.set()
    for t in threads:
        t.join(timeout=30)
    return ours, rate(events, lambda: _raw_consume_and_copy(engine, parts, ends))


def _reached(engine: Engine, consumer: str, ends: dict[int, int]) -> bool:
    with engine.db.cursor() as cur:
        done = engine.positions.load(cur, consumer=consumer, source=engine.settings.events_topic)
    return all(done.get(p, -1) >= end - 1 for p, end in ends.items())


def _raw_consume_and_copy(engine: Engine, parts: list[TopicPartition], ends: dict[int, int]) -> None:
    consumer = KafkaConsumer(
        bootstrap_servers=engine.settings.kafka_bootstrap_servers,
        enable_auto_commit=False,
        max_poll_records=engine.settings.batch_size,
    )
    consumer.assign(parts)
    consumer.seek_to_beginning(*parts)
    conn = engine.db.connect()
    conn.execute("CREATE TABLE bench_raw (lead_id uuid, version integer, type text, payload jsonb)")
    left = dict(ends)
    try:
        while left:
            batch = consumer.poll(timeout_ms=1000)
            rows = io.StringIO()
            for tp, records in batch.items():
                for r in records:
                    h = dict(r.headers)
                    payload = r.value.decode().replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
                    rows.write(
                        f"{r.key.decode()}\t{h['ce_leadversion'].decode()}\t{h['ce_type'].decode()}\t{payload}\n"
                    )
                    if r.offset >= ends[tp.partition] - 1:
                        left.pop(tp.partition, None)
            with conn.transaction(), conn.cursor() as cur, cur.copy("COPY bench_raw FROM STDIN") as copy:
                copy.write(rows.getvalue())
    finally:
        consumer.close()
        conn.close()


def queries(engine: Engine, client: Any, rows: int, rounds: int) -> tuple[float, float]:
    """Queries/s of `GET /leads` with typical filters and of two reports over ``rows`` leads,
    through HTTP, vs the same SQL run raw through psycopg on the same tables. The lead list is
    filled with generated rows by SQL: this stage measures reading, not projecting."""
    table = LeadList(schema=engine.settings.read_schema).table
    with engine.db.cursor() as cur:
        cur.execute(
            f"""
            INSERT INTO {table} (lead_id, version, contact_name, email, company, industry, country, region, source,
                                 priority, status, owner, created_by, score_base, created_at, updated_at)
            SELECT gen_random_uuid(), 1, 'Lead ' || i, 'lead' || i || '@example.com', 'Company ' || (i %% 5000),
                   'industry ' || (i %% 20), (ARRAY['GB','US','DE','FR'])[1 + i %% 4], 'region ' || (i %% 10),
                   (ARRAY['website','referral','trade_show','partner'])[1 + i %% 4], 'medium',
                   (ARRAY['new','contacted','qualified','nurture','unqualified','converted'])[1 + i %% 6],
                   'rep-' || (i %% 50), 'web-form', i %% 90, now() - (i || ' minutes')::interval, now()
            FROM generate_series(1, %s) AS i""",
            (rows,),
        )
        cur.execute(f"ANALYZE {table}")
    requests = [
        ("/leads", {"status": "qualified", "owner": "rep-7", "limit": 50}),
        ("/leads", {"q": "company 42", "limit": 50}),
        ("/leads", {"country": "DE", "sort": "score", "limit": 50}),
        ("/reports/sources", {}),
    ]
    filters = [LeadFilter(status="qualified", owner="rep-7"), LeadFilter(text="company 42"), LeadFilter(country="DE")]
    sql: list[tuple[Any, Any]] = []
    with engine.db.cursor() as cur:  # the exact SQL the API runs, captured once, for the raw side
        recorder = Recording(cur)
        for f, sort in zip(filters, ["created_at", "created_at", "score"], strict=True):
            LeadQueries(schema=engine.settings.read_schema).find(recorder, f, sort=sort, limit=50)
            sql.append(recorder.last)
        Reports(schema=engine.settings.read_schema).sources(recorder, scope=None)
        sql.append(recorder.last)

    def ours() -> None:
        for _ in range(rounds):
            for path, params in requests:
                response = client.get(path, params=params)
                if response.status_code != 200:
                    raise RuntimeError(f"{path} {params}: {response.status_code} {response.text}")

    def raw() -> None:
        with engine.db.connect() as conn, conn.transaction(), conn.cursor() as cur:
            for _ in range(rounds):
                for statement, params in sql:
                    cur.execute(statement, params)
                    cur.fetchall()

    return rate(rounds * len(requests), ours), rate(rounds * len(requests), raw)


class Recording:
    """A cursor that keeps the last statement and parameters it ran (psycopg 3 binds them on
    the server, so the cursor itself holds no runnable copy of the query)."""

    def __init__(self, cur: Any) -> None:
        self.cur = cur
        self.last: tuple[Any, Any] = ("", None)

    def execute(self, query: Any, params: Any = None) -> Any:
        self.last = (query, params)
        return self.cur.execute(query, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.cur, name)


CONSOLE_GOAL_MS = 300.0
"""The issue's goal for the console's leads list: its first page within 300 ms of server time."""


def console_first_page(client: Any, token: str, rounds: int) -> float:
    """Median milliseconds for the console to render the first page of the leads list (default
    sort, 50 rows, an admin who sees every lead) over the rows ``queries`` filled: the page, its
    saved and system views and the unread count, through the app in process (no network)."""
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.get("/ui/leads", headers={"Cookie": f"leads_session={token}"})
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200 or "leads-table" not in response.text:
            raise RuntimeError(f"/ui/leads: {response.status_code} {response.text[:300]}")
    return statistics.median(timings)
