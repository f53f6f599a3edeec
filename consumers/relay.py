"""The relay: follows the notification log (the outbox) and publishes each lead event to Kafka,
keyed by lead id so a lead's events stay in order in one partition. Personal fields stay sealed
as stored: the events topic keeps everything forever, and erasing a lead must reach it too.

Exactly one relay publishes, however many run: each tries to take the leadership (a PostgreSQL
advisory lock, see ``infra.relay_lease``); the others stand by and take over within a second of
the leader's death. The leader checks it still leads before every batch and saves its position
only while its epoch is current, so a superseded relay stops instead of publishing beside the
new one.

The position advances only after Kafka acknowledged every message of the batch. A leader killed
between the acknowledgement and the save would make its successor send that batch again, so a
relay that takes over, or retries after a failed batch, first reads the last message of each
partition (``PublishedTail``) and skips the events already there: each event lands on the
topic once, in order per lead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from opentelemetry.trace import SpanKind

from consumers.ports import Connect, Fenced, Leadership, Producer, PublishedTail
from consumers.positions import Mark, Positions, RelayMarks
from consumers.tracing import span, traceparent_of
from domain.contract.cloudevents import to_kafka
from domain.contract.envelope import Envelope
from domain.ports import EventLog
from projections.base import lock_ddl

log = logging.getLogger(__name__)
RELAY = "relay"
STANDBY = "standby: another relay publishes"


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
        leadership: Leadership,
        tail: PublishedTail,
        standby_wait_s: float = 0.5,
    ) -> None:
        """``standby_wait_s``: how often a standing-by relay tries to take over."""
        self.event_log = event_log
        self.connect = connect
        self.positions = positions
        self.producer = producer
        self.topic = topic
        self.stop = stop
        self.batch_size = batch_size
        self.idle_wait_s = idle_wait_s
        self.leadership = leadership
        self.tail = tail
        self.standby_wait_s = standby_wait_s
        self.marks = RelayMarks(schema=positions.schema)
        self.status = "starting"

    def run(self) -> None:
        conn = self.connect()
        try:
            with conn.transaction(), conn.cursor() as cur:
                lock_ddl(cur)
                self.positions.create(cur)
                self.marks.create(cur)
                self.leadership.create(cur)
            while not self.stop.is_set():
                if not self.leadership.acquire():
                    self.status = STANDBY
                    self.stop.wait(self.standby_wait_s)
                    continue
                log.info("relay: leading (epoch %s)", self.leadership.epoch)
                try:
                    self._lead(conn)
                except Fenced as e:  # its transaction was rolled back as the exception left it
                    log.warning("relay: %s; standing by", e)
                finally:
                    self.leadership.release()
                # Give a standby its turn: one that just lost its connection may be the sick one.
                self.stop.wait(self.standby_wait_s)
            self.status = "stopped"
        finally:
            self.leadership.close()
            conn.close()

    def _lead(self, conn: Any) -> None:
        """Publish while this relay leads; return when it stops leading or is told to stop."""
        with conn.transaction(), conn.cursor() as cur:
            position = self.positions.load(cur, consumer=RELAY, source="log").get(0, 0)
        published = self._on_topic()
        self.status = "running"
        while not self.stop.is_set():
            if not self.leadership.held():
                self.status = "standby: lost the leadership"
                log.warning("relay: lost the leadership; stops publishing")
                return
            events, last = self.event_log.read(start=position + 1, limit=self.batch_size, sealed=True)
            if last is None:
                self.stop.wait(self.idle_wait_s)
                continue
            todo = self._not_yet_published(events, published)
            marks = self._publish(todo)
            if marks is None:
                published = self._on_topic()
                continue
            for partition, e in todo:
                published[partition] = max(published.get(partition, 0), e.notification_id or 0)
            position = last
            with conn.transaction(), conn.cursor() as cur:
                self.leadership.check(cur)
                self.positions.save(cur, consumer=RELAY, source="log", positions={0: position})
                self.marks.save(cur, marks)

    def _on_topic(self) -> dict[int, int]:
        """Per partition, the last log position already on the topic (retried until Kafka answers)."""
        while not self.stop.is_set():
            try:
                return self.tail.last_published(self.topic)
            except Exception as e:
                self.status = f"retrying: reading the tail of {self.topic} failed: {e}"
                log.warning("relay: %s", self.status)
                self.stop.wait(1.0)
        return {}

    def _not_yet_published(self, events: Sequence[Envelope], published: dict[int, int]) -> list[tuple[int, Envelope]]:
        todo = []
        for e in events:
            partition = self.tail.partition_for(str(e.lead_id).encode())
            if (e.notification_id or 0) > published.get(partition, 0):
                todo.append((partition, e))
        return todo

    def _send(self, e: Envelope, partition: int) -> Any:
        key, value, headers = to_kafka(e)
        return self.producer.send(self.topic, key=key, value=value, headers=headers, partition=partition)

    def _publish(self, events: Sequence[tuple[int, Envelope]]) -> list[Mark] | None:
        """Send the batch and wait for every acknowledgement; on failure (None) the caller
        retries the same batch. Returns, per partition, where this batch's messages landed."""
        sent = []
        for partition, e in events:
            if e.traceparent is None:  # untraced (tracing off): nothing to open
                sent.append((e.notification_id or 0, self._send(e, partition)))
                continue
            with span(f"publish {self.topic}", e.traceparent, SpanKind.PRODUCER, lead_version=e.version) as publish:
                traced = replace(e, traceparent=traceparent_of(publish))
                sent.append((e.notification_id or 0, self._send(traced, partition)))
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
