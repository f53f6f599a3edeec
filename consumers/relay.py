"""The relay: follows the notification log (the outbox) and publishes each lead event to Kafka,
keyed by lead id so a lead's events stay in order in one partition.

The position advances only after Kafka acknowledged every message of the batch, so a crash
re-publishes at most one batch: delivery is at-least-once, and consumers dedupe on
(lead id, version).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import Notification
from kafka import KafkaProducer

from consumers.contract import LEAD_TOPICS, envelope_from_notification, to_kafka
from consumers.positions import Positions

log = logging.getLogger(__name__)
RELAY = "relay"


class Relay:
    name = RELAY

    def __init__(self, *, app: Application[Any], connect: Callable[[], Any], positions: Positions,
                 producer: KafkaProducer, topic: str, stop: threading.Event, batch_size: int,
                 idle_wait_s: float) -> None:  # fmt: skip
        self.app = app
        self.connect = connect
        self.positions = positions
        self.producer = producer
        self.topic = topic
        self.stop = stop
        self.batch_size = batch_size
        self.idle_wait_s = idle_wait_s
        self.status = "starting"

    def run(self) -> None:
        conn = self.connect()
        try:
            with conn, conn.cursor() as cur:
                self.positions.create(cur)
                position = self.positions.load(cur, consumer=RELAY, source="log").get(0, 0)
            self.status = "running"
            while not self.stop.is_set():
                notifications = self.app.recorder.select_notifications(start=position + 1, limit=self.batch_size)
                if not notifications:
                    self.stop.wait(self.idle_wait_s)
                    continue
                if not self._publish(notifications):
                    continue
                position = notifications[-1].id
                with conn, conn.cursor() as cur:
                    self.positions.save(cur, consumer=RELAY, source="log", positions={0: position})
            self.status = "stopped"
        finally:
            conn.close()

    def _publish(self, notifications: Sequence[Notification]) -> bool:
        """Send the batch and wait for every acknowledgement; on failure retry the same batch."""
        futures = []
        for n in notifications:
            if n.topic in LEAD_TOPICS:
                key, value, headers = to_kafka(envelope_from_notification(n, self.app.mapper))
                futures.append(self.producer.send(self.topic, key=key, value=value, headers=headers))
        self.producer.flush()
        try:
            for f in futures:
                f.get(timeout=30)
        except Exception as e:
            self.status = f"retrying: publishing to {self.topic} failed: {e}"
            log.warning("relay: %s", self.status)
            self.stop.wait(1.0)
            return False
        self.status = "running"
        return True
