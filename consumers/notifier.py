"""Publishes each notification once to ``<prefix>notifications``, keyed by recipient.

Notifications are rows of the feeds projection; which of them went out is kept here, beside
it, so a rebuild of the projection (same notification ids) publishes nothing twice. Delivery
is at least once: a crash between Kafka's acknowledgement and the insert below re-sends a
batch, with the same ``ce_id`` (the notification id) so senders downstream can dedupe. Rows
being sent are locked (``SKIP LOCKED``), so notifiers in several processes share the work
instead of sending the same notifications twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import orjson
from kafka import KafkaProducer
from psycopg2.extras import execute_values

from projections.base import fetch_dicts, lock_ddl
from projections.feeds import Feeds

log = logging.getLogger(__name__)
NOTIFICATION_TYPE = "lead.notification.v1"
SOURCE = "urn:leads-engine:notifications"


class Notifier:
    name = "notifier"

    def __init__(
        self,
        *,
        feeds: Feeds,
        connect: Callable[[], Any],
        producer: KafkaProducer,
        topic: str,
        stop: threading.Event,
        batch_size: int,
        idle_wait_s: float,
    ) -> None:
        self.feeds = feeds
        self.published = f"{feeds.schema}.notifications_published"
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
            with conn, conn.cursor() as cur:
                lock_ddl(cur)
                self.feeds.create(cur)
                cur.execute(
                    f"CREATE TABLE IF NOT EXISTS {self.published} "
                    "(notification_id uuid PRIMARY KEY, published_at timestamptz NOT NULL DEFAULT now())"
                )
            self.status = "running"
            while not self.stop.is_set():
                try:
                    sent = self.publish_batch(conn)
                    self.status = "running"
                except Exception as e:
                    conn.rollback()
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
        with conn, conn.cursor() as cur:
            cur.execute(
                f"SELECT n.* FROM {self.feeds.notifications} n WHERE NOT EXISTS "
                f"(SELECT 1 FROM {self.published} p WHERE p.notification_id = n.notification_id) "
                "ORDER BY n.at, n.notification_id LIMIT %s FOR UPDATE OF n SKIP LOCKED",
                (self.batch_size,),
            )
            rows = fetch_dicts(cur)
            futures = [
                self.producer.send(self.topic, key=r["recipient"].encode(), value=message(r), headers=headers(r))
                for r in rows
            ]
            self.producer.flush()
            for future in futures:
                future.get(timeout=30)
            if rows:
                execute_values(
                    cur,
                    f"INSERT INTO {self.published} (notification_id) VALUES %s ON CONFLICT DO NOTHING",
                    [(r["notification_id"],) for r in rows],
                )
        return len(rows)


def message(row: dict[str, Any]) -> bytes:
    return orjson.dumps(
        {
            "notification_id": str(row["notification_id"]),
            "recipient": row["recipient"],
            "lead_id": str(row["lead_id"]),
            "lead_version": row["version"],
            "kind": row["kind"],
            "summary": row["summary"],
            "actor": row["actor"],
            "at": row["at"].isoformat(),
        }
    )


def headers(row: dict[str, Any]) -> list[tuple[str, bytes]]:
    values = {
        "ce_specversion": "1.0",
        "ce_id": str(row["notification_id"]),
        "ce_source": SOURCE,
        "ce_type": NOTIFICATION_TYPE,
        "ce_time": row["at"].isoformat(),
        "ce_subject": row["recipient"],
        "content-type": "application/json",
    }
    return [(k, v.encode()) for k, v in values.items()]
