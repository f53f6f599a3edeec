"""Publishes each notification once to ``<prefix>notifications``, keyed by recipient.

Notifications are rows of the feeds projection; which of them went out is kept here, beside
it, so a rebuild of the projection (same notification ids) publishes nothing twice. Delivery
is at least once: a crash between Kafka's acknowledgement and the insert below re-sends a
batch, with the same ``ce_id`` (the notification id) so senders downstream can dedupe. Rows
being sent are locked (``SKIP LOCKED``), so notifiers in several processes share the work
instead of sending the same notifications twice.

A notification caused by a traced event (tracing on) is published in a ``publish <topic>`` span
continuing that event's trace, and carries the span's ``traceparent`` header on, so a sender
downstream can continue it too: one trace from the request to the message a person is sent.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from opentelemetry.trace import SpanKind

from consumers.ports import Connect, Producer
from consumers.tracing import span, traceparent_of
from domain.contract.notifications import headers, message
from projections.base import lock_ddl
from projections.feeds import Feeds

log = logging.getLogger(__name__)


class Notifier:
    name = "notifier"

    def __init__(
        self,
        *,
        feeds: Feeds,
        connect: Connect,
        producer: Producer,
        topic: str,
        stop: threading.Event,
        batch_size: int,
        idle_wait_s: float,
    ) -> None:
        self.feeds = feeds
        self.connect = connect
        self.producer = producer
        self.topic = topic
        self.stop = stop
        self.batch_size = batch_size
        self.idle_wait_s = idle_wait_s
        self.status = "starting"

    def run(self) -> None:
        conn = self.connect()
        try:
            with conn.transaction(), conn.cursor() as cur:
                lock_ddl(cur)
                self.feeds.create_outbox(cur)
            self.status = "running"
            while not self.stop.is_set():
                try:
                    sent = self.publish_batch(conn)
                    self.status = "running"
                except Exception as e:  # the batch's transaction is rolled back: its rows stay unsent
                    self.status = f"retrying: {e}"
                    log.exception("notifier: publishing failed; retrying")
                    sent = 0
                if not sent:
                    self.stop.wait(self.idle_wait_s if self.status == "running" else 1.0)
        finally:
            self.producer.close()
            conn.close()
            self.status = "stopped"

    def publish_batch(self, conn: Any) -> int:
        with conn.transaction(), conn.cursor() as cur:
            rows = self.feeds.claim_unpublished(cur, limit=self.batch_size)
            futures = [self._send(r) for r in rows]
            self.producer.flush()
            for future in futures:
                future.get(timeout=30)
            self.feeds.mark_published(cur, [r["notification_id"] for r in rows])
        return len(rows)

    def _send(self, row: dict[str, Any]) -> Any:
        key, value = row["recipient"].encode(), message(row)
        if not row.get("traceparent"):  # untraced (tracing off when its event was recorded)
            return self.producer.send(self.topic, key=key, value=value, headers=headers(row))
        with span(
            f"publish {self.topic}", row["traceparent"], SpanKind.PRODUCER, notification_kind=row["kind"]
        ) as publish:
            traced = headers(row, traceparent=traceparent_of(publish))
            return self.producer.send(self.topic, key=key, value=value, headers=traced)
