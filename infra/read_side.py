"""The engine's read side, as the composition root wires it: every read model, the runners
that feed them (from Kafka or the store's log), rebuilds, and the read store's tables."""

from __future__ import annotations

import threading
from collections.abc import Callable

from consumers.fan_out import FanOut
from consumers.ports import Source, Worker
from consumers.positions import Positions
from consumers.progress import ProgressBoard
from consumers.quarantine import Quarantine
from consumers.rebuild import SUFFIX as REBUILD_SUFFIX
from consumers.rebuild import RebuildReport, rebuild
from consumers.runner import ProjectionRunner
from consumers.sources import NotificationLogSource
from domain.contract.envelope import PUBLISHED_TOPICS, topics_of
from infra.errors import StartupError
from infra.event_store import StoredEventLog, StoredLeadService
from infra.kafka_bus import make_consumer
from infra.kafka_source import KafkaSource
from infra.postgres import Database, LogListener
from infra.settings import Mode, Settings
from projections.aging import Aging
from projections.base import Projection, lock_ddl, streams_of
from projections.customers import Customers
from projections.dedupe_index import DedupeIndex
from projections.duplicate_sets import DuplicateSets
from projections.feeds import Feeds
from projections.lead_detail import LeadDetail
from projections.lead_list import LeadList
from projections.queries import ReadModels
from projections.routing import Routing
from projections.tasks import Tasks
from projections.user_state import UserState


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


class ReadSide:
    """The read-side parts of :class:`infra.runtime.Engine` (a mixin over its fields)."""

    settings: Settings
    db: Database
    service: StoredLeadService
    stop: threading.Event
    board: ProgressBoard
    workers: list[Worker]
    fed: bool

    @property
    def positions(self) -> Positions:
        return Positions(schema=self.settings.read_schema)

    @property
    def projections(self) -> dict[str, Projection]:
        return projections(self.settings.read_schema)

    @property
    def event_log(self) -> StoredEventLog:
        return StoredEventLog(self.service)

    @property
    def published_log(self) -> StoredEventLog:
        """Every published event: the lead's and the customer master's (the relay, the audit export)."""
        return StoredEventLog(self.service, topics=PUBLISHED_TOPICS)

    @property
    def queries(self) -> ReadModels:
        s = self.settings
        return ReadModels(db=self.db, schema=s.read_schema, aging_thresholds=s.aging_thresholds)

    def log_of(self, projection: Projection) -> StoredEventLog:
        """The log a projection reads: the events of the streams it reads (the lead's by default)."""
        return StoredEventLog(self.service, topics=topics_of(streams_of(projection)))

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
