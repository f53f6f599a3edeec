"""The composition root: builds the engine from settings and wires every part. The application
service, the relay, the intake consumer and projection consumers run as threads of one process
(``start_background``) or in processes of their own (``leads relay``, ``leads consume``, which
``leads serve`` supervises: ``infra.serving``); the HTTP app gets a ``Backend`` of the
ports it needs. Same code in embedded and kafka mode; the source is the only difference."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

from fastapi import FastAPI

from api.app import create_app
from api.context import ApiConfig, Backend
from consumers.aging_monitor import AgingMonitor
from consumers.bulk_jobs import BulkJobs
from consumers.duplicate_scan import DuplicateScanJob
from consumers.fan_out import FanOut
from consumers.import_jobs import ImportJobs
from consumers.import_planner import ImportPlanner
from consumers.import_retention import ImportRetention
from consumers.import_runner import ImportRunner
from consumers.intake import IntakeConsumer
from consumers.notifier import Notifier
from consumers.ports import Source
from consumers.positions import Positions
from consumers.progress import ProgressBoard
from consumers.quarantine import Quarantine
from consumers.read_consistency import ReadConsistency
from consumers.rebuild import SUFFIX as REBUILD_SUFFIX
from consumers.rebuild import RebuildReport, rebuild
from consumers.relay import Relay
from consumers.reminders import ReminderScheduler
from consumers.rescoring import DecayMonitor, LikelihoodMonitor, Rescorer
from consumers.response_monitor import ResponseMonitor
from consumers.runner import ProjectionRunner
from consumers.sources import NotificationLogSource
from domain import limits, phone_region
from domain.contract.envelope import PUBLISHED_TOPICS, topics_of
from domain.duplicates import Combined, flag
from infra import tracing
from infra.blobs import BlobStore
from infra.dead_letters import DeadLetters
from infra.errors import StartupError
from infra.event_chain import PostgresEventChain
from infra.event_store import StoredEventLog, StoredLeadService
from infra.health import HealthMonitor
from infra.identity_claims import PostgresIdentityClaims
from infra.import_store import PostgresImportStore
from infra.kafka_bus import ensure_topics, make_consumer, make_producer
from infra.kafka_source import KafkaSource
from infra.kafka_stream import KafkaMessageStream
from infra.kafka_tail import KafkaTail
from infra.likelihood_runtime import ActiveLikelihood
from infra.metrics import render
from infra.position_feed import PositionFeed
from infra.postgres import Database, LogListener, eventsourcing_env, open_database
from infra.rate_limit_store import PostgresRateLimitStorage, shared_storage
from infra.relay_lease import AdvisoryLease
from infra.settings import Mode, Settings
from infra.subject_keys import PostgresKeyStore
from infra.workloads import PostgresWorkloads
from projections.aging import Aging
from projections.base import Projection, lock_ddl, streams_of
from projections.customers import Customers
from projections.dedupe_index import DedupeIndex
from projections.duplicate_sets import DuplicateSets
from projections.feeds import Feeds
from projections.lead_detail import LeadDetail
from projections.lead_list import LeadList
from projections.open_leads import OpenLeads
from projections.queries import ReadModels
from projections.routing import Routing
from projections.tasks import Tasks
from projections.user_state import UserState

log = logging.getLogger(__name__)


class Worker(Protocol):
    @property
    def name(self) -> str: ...

    status: str

    def run(self) -> None: ...


def projections(schema: str, *, suffix: str = "") -> dict[str, Projection]:
    """Every read model, by short name (the CLI's ``--projection``); ``suffix`` names a copy."""
    return {
        "lead_list": LeadList(schema=schema, suffix=suffix),
        "lead_detail": LeadDetail(schema=schema, suffix=suffix),
        "feeds": Feeds(schema=schema, suffix=suffix),
        "aging": Aging(schema=schema, suffix=suffix),
        "dedupe_index": DedupeIndex(schema=schema, suffix=suffix),
        "routing": Routing(schema=schema, suffix=suffix),
        "customers": Customers(schema=schema, suffix=suffix),
        "tasks": Tasks(schema=schema, suffix=suffix),
    }


@dataclass
class Engine:
    settings: Settings
    db: Database
    service: StoredLeadService
    stop: threading.Event = field(default_factory=threading.Event)
    board: ProgressBoard = field(default_factory=ProgressBoard)
    workers: list[Worker] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)
    fed: bool = False
    """Whether a :class:`PositionFeed` keeps ``board`` current with other processes' commits."""

    @classmethod
    def open(cls, settings: Settings) -> Engine:
        """Connect to everything the mode needs, failing fast with a one-line StartupError."""
        limits.configure(settings.limits)
        phone_region.configure(settings.default_phone_region)
        tracing.configure(settings.tracing)
        db = open_database(settings)
        if settings.mode is Mode.KAFKA:
            ensure_topics(settings)
        try:
            with db.ddl_lock():
                keys = PostgresKeyStore(db, schema=settings.event_schema, cache_s=settings.key_cache_s)
                keys.create()
                claims = PostgresIdentityClaims(db, schema=settings.event_schema)
                claims.create()
                workloads = PostgresWorkloads(db, schema=settings.event_schema)
                workloads.create()
                chain = PostgresEventChain(db, schema=settings.event_schema, key=settings.audit_chain_key())
                chain.create()
                service = StoredLeadService(
                    env=eventsourcing_env(db, settings), keys=keys, claims=claims, workloads=workloads, chain=chain
                )
                service.routing_settings = settings.routing
                PostgresImportStore(db, schema=settings.event_schema).create()
                service.likelihood = ActiveLikelihood(
                    service=service,
                    blobs=BlobStore(db, schema=settings.event_schema),
                    cache_s=settings.routing.cache_s,
                )
        except Exception as e:
            raise StartupError(f"event store at {db.describe()} is not usable: {e}") from None
        return cls(settings, db, service)

    @property
    def positions(self) -> Positions:
        return Positions(schema=self.settings.read_schema)

    @property
    def projections(self) -> dict[str, Projection]:
        return projections(self.settings.read_schema)

    @cached_property
    def monitor(self) -> HealthMonitor:
        """Keeps the health report current (started with the background workers)."""
        return HealthMonitor(self, interval_s=self.settings.health_interval_s, stop=self.stop)

    @property
    def event_log(self) -> StoredEventLog:
        return StoredEventLog(self.service)

    def log_of(self, projection: Projection) -> StoredEventLog:
        """The log a projection reads: the events of the streams it reads (the lead's by default)."""
        return StoredEventLog(self.service, topics=topics_of(streams_of(projection)))

    @property
    def published_log(self) -> StoredEventLog:
        """Every published event: the lead's and the customer master's (the relay, the audit export)."""
        return StoredEventLog(self.service, topics=PUBLISHED_TOPICS)

    @cached_property
    def rate_limit_storage(self) -> PostgresRateLimitStorage | None:
        """The rate limits' shared storage when ``LEADS_RATE_LIMITS__STORAGE_URI`` names PostgreSQL
        (one per engine, whatever number of apps it serves); None: the API builds the one it names."""
        s = self.settings
        return shared_storage(
            s.rate_limits.storage_uri, engine_dsn=self.db.dsn, schema=s.read_schema, options=s.pg_options()
        )

    @property
    def queries(self) -> ReadModels:
        s = self.settings
        return ReadModels(db=self.db, schema=s.read_schema, aging_thresholds=s.aging_thresholds)

    @cached_property
    def imports(self) -> ImportJobs:
        """Imports: dry runs and confirms, as jobs (the read store is prepared for the duplicate
        check first)."""
        self.prepare_read_store()
        store = PostgresImportStore(self.db, schema=self.settings.event_schema)
        return ImportJobs(
            planner=ImportPlanner(service=self.service, finder=self.queries, store=store),
            runner=ImportRunner(service=self.service, store=store),
            store=store,
        )

    def app(self) -> FastAPI:
        """The HTTP API over this engine (read-model tables created first, so queries work
        before the first event)."""
        self.prepare_read_store()
        s = self.settings
        consistency = ReadConsistency(
            cursor=self.db.cursor,
            positions=self.positions,
            events_topic=s.events_topic if s.mode is Mode.KAFKA else None,
            board=self.board,
            runs_here=self.runs,
            fed=self.fed,
        )
        backend = Backend(
            service=self.service,
            queries=self.queries,
            blobs=BlobStore(self.db, schema=s.event_schema),
            keys=self.service.keys,
            event_log=self.published_log,
            wait_until_projected=lambda projection, position, timeout_s: consistency.wait_async(
                projection, position, timeout_s=timeout_s
            ),
            health=self.monitor.current,
            metrics=lambda: render(self.monitor.current()),
            config=ApiConfig(
                signing_key=s.signing_key(),
                read_wait_s=s.read_wait_s,
                rate_limits=s.rate_limits,
                rate_limit_storage=self.rate_limit_storage,
            ),
            chain=self.service.chain,
            imports=self.imports,
            bulk=BulkJobs(service=self.service, store=PostgresImportStore(self.db, schema=s.event_schema)),
            import_cells=PostgresImportStore(self.db, schema=s.event_schema),
            dead_letters=self.dead_letters() if s.mode is Mode.KAFKA else None,
        )
        return create_app(backend)

    def relay(self) -> Relay:
        s = self.settings
        return Relay(
            event_log=self.published_log,
            connect=self.db.connect,
            positions=self.positions,
            producer=make_producer(s),
            topic=s.events_topic,
            stop=self.stop,
            batch_size=s.relay_batch_size,
            idle_wait_s=s.idle_wait_ms / 1000,
            leadership=AdvisoryLease(connect=self.db.connect, schema=s.read_schema),
            tail=KafkaTail(s),
            standby_wait_s=s.relay_standby_ms / 1000,
        )

    def dead_letters(self) -> DeadLetters:
        s = self.settings
        return DeadLetters(
            db=self.db,
            schema=s.event_schema,
            bootstrap_servers=s.kafka_bootstrap_servers,
            dlq_topic=s.dlq_topic,
            intake_topic=s.intake_topic,
            producer=lambda: make_producer(s, client_id="leads-dlq-replay"),
        )

    def intake(self) -> IntakeConsumer:
        """The intake consumer; its duplicate screen reads the read store, so that is prepared
        first (intake may be the first process of a new deployment)."""
        s = self.settings
        self.prepare_read_store()
        consumer = make_consumer(s, group_id=f"{s.consumer_group}.intake", client_id="leads-intake")
        return IntakeConsumer(
            service=self.service,
            stream=KafkaMessageStream(consumer, s.intake_topic),
            screen=flag(Combined(self.queries, self.service)),
            producer=make_producer(s, client_id="leads-dlq"),
            topic=s.intake_topic,
            dlq_topic=s.dlq_topic,
            stop=self.stop,
            idle_wait_s=s.idle_wait_ms / 1000,
            batch_size=s.batch_size,
        )

    def aging_monitor(self) -> AgingMonitor:
        s = self.settings
        return AgingMonitor(
            service=self.service,
            aging=Aging(schema=s.read_schema),
            cursor=self.db.cursor,
            thresholds=s.aging_thresholds,
            interval_s=s.aging_check_interval_s,
            stop=self.stop,
        )

    def import_retention(self) -> ImportRetention:
        s = self.settings
        return ImportRetention(
            store=PostgresImportStore(self.db, schema=s.event_schema),
            days=s.import_retention_days,
            interval_s=s.import_retention_check_interval_s,
            stop=self.stop,
        )

    def duplicate_scan(self) -> DuplicateScanJob:
        return DuplicateScanJob(cursor=self.db.cursor, schema=self.settings.read_schema)

    def reminder_scheduler(self) -> ReminderScheduler:
        s = self.settings
        return ReminderScheduler(
            service=self.service,
            tasks=Tasks(schema=s.read_schema),
            cursor=self.db.cursor,
            interval_s=s.reminder_check_interval_s,
            stop=self.stop,
        )

    def response_monitor(self) -> ResponseMonitor:
        s = self.settings
        return ResponseMonitor(
            service=self.service,
            routing=Routing(schema=s.read_schema),
            cursor=self.db.cursor,
            interval_s=s.response_check_interval_s,
            stop=self.stop,
        )

    def rescorer(self) -> Rescorer:
        return Rescorer(**self._scoring(self.settings.scoring.rescore_check_interval_s))

    def decay_monitor(self) -> DecayMonitor:
        return DecayMonitor(**self._scoring(self.settings.scoring.decay_check_interval_s))

    def likelihood_monitor(self) -> LikelihoodMonitor:
        return LikelihoodMonitor(**self._scoring(self.settings.scoring.likelihood_check_interval_s))

    def _scoring(self, interval_s: float) -> dict[str, Any]:
        s = self.settings
        return {
            "service": self.service,
            "open_leads": OpenLeads(schema=s.read_schema),
            "cursor": self.db.cursor,
            "settings": s.scoring,
            "interval_s": interval_s,
            "stop": self.stop,
        }

    def notifier(self) -> Notifier:
        s = self.settings
        return Notifier(
            feeds=Feeds(schema=s.read_schema),
            connect=self.db.connect,
            producer=make_producer(s, client_id="leads-notifier"),
            topic=s.notifications_topic,
            stop=self.stop,
            batch_size=s.batch_size,
            idle_wait_s=s.idle_wait_ms / 1000,
        )

    def consumer(self, name: str, *, client_id: str = "leads") -> ProjectionRunner:
        try:
            projection = self.projections[name]
        except KeyError:
            raise StartupError(f"no projection {name!r}; known: {', '.join(self.projections)}") from None
        return self._runner(projection, client_id=client_id)

    def fan_out(self, names: list[str], *, client_id: str = "leads") -> ProjectionRunner:
        """One runner feeding several read models from one reader (each event decoded and opened
        once); each keeps its own position. They must read the same source: the events topic
        (kafka mode) or the store's log, not the customer master's log beside some of them."""
        unknown = [n for n in names if n not in self.projections]
        if unknown or not names:
            raise StartupError(f"no projection {unknown or names!r}; known: {', '.join(self.projections)}")
        members = [self.projections[n] for n in names]
        if len({bool(getattr(m, "log_only", False)) for m in members}) > 1:
            raise StartupError("a fan-out's projections must read one source; run log-only ones on their own")
        return self._runner(FanOut(members), client_id=client_id)

    def _runner(self, projection: Projection, *, client_id: str) -> ProjectionRunner:
        s = self.settings
        source: Source
        if s.mode is Mode.KAFKA and not getattr(projection, "log_only", False):
            consumer = make_consumer(s, group_id=f"{s.consumer_group}.{projection.name}", client_id=client_id)
            source = KafkaSource(
                consumer=consumer,
                topic=s.events_topic,
                batch_size=s.batch_size,
                personal=self.service.personal,
                streams=streams_of(projection),
            )
        else:
            wakeup = LogListener(self.db, self.service.recorder.channel_name)  # type: ignore[attr-defined]
            source = NotificationLogSource(
                event_log=self.log_of(projection), batch_size=s.batch_size, stop=self.stop, wakeup=wakeup
            )
        quarantine = Quarantine(schema=s.read_schema) if s.poison_policy == "quarantine" else None
        return ProjectionRunner(
            projection=projection,
            source=source,
            connect=self.db.connect,
            positions=self.positions,
            stop=self.stop,
            idle_wait_s=s.idle_wait_ms / 1000,
            quarantine=quarantine,
            board=self.board,
        )

    def runs(self, consumer: str) -> bool:
        """Whether ``board`` hears of ``consumer``'s commits: a runner of it (or a fan-out with it)
        works in this process, or the position feed relays every process's commits."""
        return self.fed or any(
            consumer in getattr(w, "members", [w.name]) and w.status == "running" for w in self.workers
        )

    def rebuild(self, name: str, progress: Callable[[int, int], None]) -> RebuildReport:
        """Replay the whole log into a fresh copy of ``name`` beside the live one, then swap."""
        if name not in self.projections:
            raise StartupError(f"no projection {name!r}; known: {', '.join(self.projections)}")
        s = self.settings
        return rebuild(
            live=self.projections[name],
            fresh=projections(s.read_schema, suffix=REBUILD_SUFFIX)[name],
            source=NotificationLogSource(
                event_log=self.log_of(self.projections[name]), batch_size=s.batch_size, stop=self.stop
            ),
            connect=self.db.connect,
            head=self.event_log.head,
            progress=progress,
        )

    def rebuild_together(self, names: list[str], progress: Callable[[int, int], None]) -> RebuildReport:
        """Rebuild several read models from ONE pass over the log (each event read and opened
        once), then swap them all in one transaction; the checksums cover all of them."""
        unknown = [n for n in names if n not in self.projections]
        if unknown or not names:
            raise StartupError(f"no projection {unknown or names!r}; known: {', '.join(self.projections)}")
        live = FanOut([self.projections[n] for n in names])
        if len({bool(getattr(m, "log_only", False)) for m in live.members}) > 1:
            raise StartupError("projections rebuilt together must read one log; rebuild log-only ones on their own")
        s = self.settings
        copies = projections(s.read_schema, suffix=REBUILD_SUFFIX)
        return rebuild(
            live=live,
            fresh=FanOut([copies[n] for n in names]),
            source=NotificationLogSource(event_log=self.log_of(live), batch_size=s.batch_size, stop=self.stop),
            connect=self.db.connect,
            head=self.event_log.head,
            progress=progress,
        )

    def prepare_read_store(self) -> None:
        """Create the read-model tables up front so queries work before the first event."""
        conn = self.db.connect()
        try:
            with conn.transaction(), conn.cursor() as cur:
                lock_ddl(cur)
                self.positions.create(cur)
                Quarantine(schema=self.settings.read_schema).create(cur)
                UserState(schema=self.settings.read_schema).create(cur)
                DuplicateSets(schema=self.settings.read_schema).create(cur)
                for projection in self.projections.values():
                    projection.create(cur)
        finally:
            conn.close()

    def start_background(self) -> None:
        """Every projection consumer and the aging monitor, plus in kafka mode the relay, the
        intake consumer and the notifier, each in its own thread."""
        self.prepare_read_store()
        if self.settings.mode is Mode.KAFKA:
            self._start(self.relay())
            self._start(self.intake())
            self._start(self.notifier())
        for name in self.projections:
            self._start(self.consumer(name))
        self._start(self.aging_monitor())
        self._start(self.reminder_scheduler())
        self._start(self.response_monitor())
        self._start(self.rescorer())
        self._start(self.decay_monitor())
        self._start(self.likelihood_monitor())
        self._start(self.import_retention())
        self._start(self.monitor)

    def follow_positions(self) -> None:
        """For an API process whose projections run elsewhere (``leads serve``'s children): keep
        ``board`` current from their commits' notifications, so ``?after=`` waits sleep until
        the commit instead of polling. Its thread is joined on close but is no health worker."""
        self.fed = True
        feed = PositionFeed(db=self.db, positions=self.positions, board=self.board, stop=self.stop)
        thread = threading.Thread(target=_run_logged(feed), name=feed.name, daemon=True)
        self.threads.append(thread)
        thread.start()

    def start_monitor(self) -> None:
        """The health monitor alone (an API process whose workers run elsewhere)."""
        self._start(self.monitor)

    def start_worker(self, worker: Worker) -> None:
        """Run ``worker`` in a thread of this process until ``stop`` (joined on close)."""
        self._start(worker)

    def _start(self, worker: Worker) -> None:
        thread = threading.Thread(target=_run_logged(worker), name=worker.name, daemon=True)
        self.workers.append(worker)
        self.threads.append(thread)
        thread.start()

    def close(self) -> None:
        """Stop workers after their current batch (each batch commits whole or not at all)."""
        self.stop.set()
        deadline = time.monotonic() + self.settings.shutdown_grace_s
        for thread in self.threads:
            # Workers are daemon threads: one still busy at the deadline (a statement waiting on
            # its timeout) rolls back when the process exits, which its batch survives.
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        self.service.close()
        if (storage := self.__dict__.get("rate_limit_storage")) is not None:
            storage.close()
        self.db.close()


def _run_logged(worker: Worker) -> Callable[[], None]:
    def run() -> None:
        try:
            worker.run()
        except Exception as e:
            worker.status = f"failed: {e}"
            log.exception("%s failed", worker.name)

    return run
