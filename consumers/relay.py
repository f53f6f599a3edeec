"""The relay: follows the notification log (the outbox) and publishes each lead event to Kafka,
keyed by lead id so a lead's events stay in order in one partition. Personal fields stay sealed
as stored: the events topic keeps everything forever, and erasing a lead must reach it too.

The position advances only after Kafka acknowledged every message of the batch, so a crash
re-publishes at most one batch: delivery is at-least-once, and consumers dedupe on
(lead id, version).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from opentelemetry.trace import SpanKind

from consumers.ports import Connect, Producer
from consumers.positions import Mark, Positions, RelayMarks
from consumers.tracing import span, traceparent_of
from domain.contract.cloudevents import to_kafka
from domain.contract.envelope import Envelope
from domain.ports import EventLog
from projections.base import lock_ddl

log = logging.getLogger(__name__)
RELAY = "relay"


class Relay:
    name = RELAY

    def __init__(
        self,
        *,
        event_log: EventLog,
        connect: Connect,
        positions: Positions,
        producer: Producer,
        topic: str,
        stop: threading.Event,
        batch_size: int,
        idle_wait_s: float,
    ) -> None:
        self.event_log = event_log
        self.connect = connect
        self.positions = positions
        self.producer = producer
        self.topic = topic
        self.stop = stop
        self.batch_size = batch_size
        self.idle_wait_s = idle_wait_s
        self.marks = RelayMarks(schema=positions.schema)
        self.status = "starting"

    def run(self) -> None:
        conn = self.connect()
        try:
            with conn, conn.cursor() as cur:
                lock_ddl(cur)
                self.positions.create(cur)
                self.marks.create(cur)
            with conn, conn.cursor() as cur:
                position = self.positions.load(cur, consumer=RELAY, source="log").get(0, 0)
            self.status = "running"
            while not self.stop.is_set():
                events, last = self.event_log.read(start=position + 1, limit=self.batch_size, sealed=True)
                if last is None:
                    self.stop.wait(self.idle_wait_s)
                    continue
                marks = self._publish(events)
                if marks is None:
                    continue
                position = last
                with conn, conn.cursor() as cur:
                    self.positions.save(cur, consumer=RELAY, source="log", positions={0: position})
                    self.marks.save(cur, marks)
            self.status = "stopped"
        finally:
            conn.close()

    def _send(self, e: Envelope) -> Any:
        key, value, headers = to_kafka(e)
        return self.producer.send(self.topic, key=key, value=value, headers=headers)

    def _publish(self, events: Sequence[Envelope]) -> list[Mark] | None:
        """Send the batch and wait for every acknowledgement; on failure (None) the caller
        retries the same batch. Returns, per partition, where this batch's messages landed."""
        sent = []
        for e in events:
            if e.traceparent is None:  # untraced (tracing off): nothing to open
                sent.append((e.notification_id or 0, self._send(e)))
                continue
            with span(f"publish {self.topic}", e.traceparent, SpanKind.PRODUCER, lead_version=e.version) as publish:
                sent.append((e.notification_id or 0, self._send(replace(e, traceparent=traceparent_of(publish)))))
        self.producer.flush()
        marks: dict[int, Mark] = {}
        try:
            for notification_id, future in sent:
                meta = future.get(timeout=30)
                first = marks.get(meta.partition)
                marks[meta.partition] = Mark(
                    min(notification_id, first.first_id) if first else notification_id,
                    meta.partition,
                    max(meta.offset, first.offset) if first else meta.offset,
                )
        except Exception as e:
            self.status = f"retrying: publishing to {self.topic} failed: {e}"
            log.warning("relay: %s", self.status)
            self.stop.wait(1.0)
            return None
        self.status = "running"
        return list(marks.values())
