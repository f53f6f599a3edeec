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

from fastapi import FastAPI

from api.app import create_app
from api.context import ApiConfig, Backend
from consumers.bulk_jobs import BulkJobs
from consumers.import_jobs import ImportJobs
from consumers.import_planner import ImportPlanner
from consumers.import_runner import ImportRunner
from consumers.ports import Worker
from consumers.progress import ProgressBoard
from consumers.read_consistency import ReadConsistency
from domain import limits, phone_region
from infra import tracing
from infra.background_workers import BackgroundWorkers
from infra.blobs import BlobStore
from infra.errors import StartupError
from infra.event_chain import PostgresEventChain
from infra.event_store import StoredLeadService
from infra.health import HealthMonitor
from infra.identity_claims import PostgresIdentityClaims
from infra.import_store import PostgresImportStore
from infra.kafka_bus import ensure_topics
from infra.likelihood_runtime import ActiveLikelihood
from infra.metrics import render
from infra.position_feed import PositionFeed
from infra.postgres import Database, eventsourcing_env, open_database
from infra.rate_limit_store import PostgresRateLimitStorage, shared_storage
from infra.settings import Mode, Settings
from infra.subject_keys import PostgresKeyStore
from infra.workloads import PostgresWorkloads

log = logging.getLogger(__name__)


@dataclass
class Engine(BackgroundWorkers):
    """One engine over one database: the application service, and (from its bases) the read
    side and the background workers built from the same settings."""

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

    @cached_property
    def monitor(self) -> HealthMonitor:
        """Keeps the health report current (started with the background workers)."""
        return HealthMonitor(self, interval_s=self.settings.health_interval_s, stop=self.stop)

    @cached_property
    def rate_limit_storage(self) -> PostgresRateLimitStorage | None:
        """The rate limits' shared storage when ``LEADS_RATE_LIMITS__STORAGE_URI`` names PostgreSQL
        (one per engine, whatever number of apps it serves); None: the API builds the one it names."""
        s = self.settings
        return shared_storage(
            s.rate_limits.storage_uri, engine_dsn=self.db.dsn, schema=s.read_schema, options=s.pg_options()
        )

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
