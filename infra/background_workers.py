"""The engine's background workers, as the composition root builds them from settings: the
relay, intake and its dead letters, the notifier, and the periodic monitors and schedulers."""

from __future__ import annotations

from typing import Any

from consumers.aging_monitor import AgingMonitor
from consumers.duplicate_scan import DuplicateScanJob
from consumers.import_retention import ImportRetention
from consumers.intake import IntakeConsumer
from consumers.notifier import Notifier
from consumers.relay import Relay
from consumers.reminders import ReminderScheduler
from consumers.rescoring import DecayMonitor, LikelihoodMonitor, Rescorer
from consumers.response_monitor import ResponseMonitor
from domain.duplicates import Combined
from infra.dead_letters import DeadLetters
from infra.import_store import PostgresImportStore
from infra.kafka_bus import make_consumer, make_producer
from infra.kafka_stream import KafkaMessageStream
from infra.kafka_tail import KafkaTail
from infra.read_side import ReadSide
from infra.relay_lease import AdvisoryLease
from projections.aging import Aging
from projections.feeds import Feeds
from projections.open_leads import OpenLeads
from projections.routing import Routing
from projections.tasks import Tasks


class BackgroundWorkers(ReadSide):
    """The worker factories of :class:`infra.runtime.Engine`, over its fields and read side."""

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
            finder=Combined(self.queries, self.service),
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
