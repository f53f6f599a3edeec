"""The Kafka events topic as a projection's source: a member of a consumer group (kafka mode).
Implements ``consumers.ports.Source``."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any
from uuid import UUID

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from consumers.ports import Batch
from domain.contract.cloudevents import ContractError, from_kafka
from domain.contract.envelope import EVERY_STREAM, LEAD_STREAM
from domain.contract.type_names import short_name
from infra.personal_data import PersonalData

log = logging.getLogger(__name__)
GROUP_POLL_MS = 2000
"""Shortest wait a group member's poll may be given. kafka-python 3.0 drives JoinGroup and
SyncGroup inside poll; when poll's timeout expires mid-rebalance it gives up waiting, and the
next poll starts a fresh JoinGroup instead of taking the finished one's assignment. With 10-50 ms
polls members rejoined over and over (generations 1-5 within a second) and could end up with no
partitions at all. poll still returns as soon as records arrive, so latency does not suffer."""


def lead_of(key: bytes | None) -> UUID | None:
    """The lead id a message is keyed by, if it is one (only used to fetch a batch's keys)."""
    try:
        return UUID(key.decode()) if key else None
    except (UnicodeDecodeError, ValueError):
        return None


def stream_of(headers: list[tuple[str, bytes]] | None) -> str | None:
    """Whose event a message is, from its ``ce_type`` header, prefixed or not (None without
    one: the decoder then rejects it with the reason)."""
    for k, v in headers or []:
        if k == "ce_type":
            return short_name(v.decode("utf-8", "replace")).split(".", 1)[0]
    return None


class KafkaSource:
    """A member of a consumer group on the events topic. The database, not the group, holds
    the truth about positions: on every assignment the consumer seeks to the stored offsets.

    The rebalance listener seeks the new partitions to their stored positions itself (as the
    Java client's ``onPartitionsAssigned`` does), so the poll that joined the group goes on to
    fetch them. kafka-python 3.0 runs the listener on its IO thread, but only while the polling
    thread waits inside ``poll`` (joining happens nowhere else), so the polling thread's
    connection is free to use. The listener used to pause the partitions and leave the seek to
    the next poll: the poll that joined then had nothing to fetch and waited out its whole
    timeout, a fixed 2 s before every (re)assigned consumer's first record. If reading the
    positions fails in the listener, it still pauses them, and the next poll positions them."""

    def __init__(
        self,
        *,
        consumer: KafkaConsumer,
        topic: str,
        batch_size: int,
        personal: PersonalData,
        streams: frozenset[str] = LEAD_STREAM,
    ) -> None:
        """``consumer``: a group member, not yet subscribed, that does not auto-commit;
        ``personal`` opens the sealed personal fields of each message; ``streams``: whose events
        the projection reads (the others are passed over, as the store's log source does)."""
        self.streams = streams
        self.name = topic
        self.topic = topic
        self.batch_size = batch_size
        self.lock = threading.Lock()
        self.unpositioned: set[TopicPartition] = set()
        self.load_positions: Callable[[], dict[int, int]] = dict
        self.consumer = consumer
        self.personal = personal

    def start(self, load_positions: Callable[[], dict[int, int]]) -> None:
        consumer = self.consumer
        self.load_positions = load_positions
        unpositioned = self.unpositioned
        lock = self.lock
        source, topic = self, self.topic

        class PauseUntilPositioned(ConsumerRebalanceListener):
            def on_partitions_revoked(self, revoked: Any) -> None:
                with lock:
                    unpositioned.difference_update(revoked)

            def on_partitions_assigned(self, assigned: Any) -> None:
                try:
                    source.position(assigned)
                except Exception:
                    log.exception("%s: positioning assigned partitions failed; retrying on the next poll", topic)
                    consumer.pause(*assigned)
                    with lock:
                        unpositioned.update(assigned)

        if not self.consumer.partitions_for_topic(self.topic):
            # Joining the group before this client has the topic's metadata yields an empty
            # assignment that lasts until the next metadata refresh (minutes); fail instead.
            raise RuntimeError(f"topic {self.topic} has no partitions visible to the consumer")
        self.consumer.subscribe([self.topic], listener=PauseUntilPositioned())

    def poll(self, timeout_s: float) -> Batch:
        with self.lock:
            todo = set(self.unpositioned)
            self.unpositioned.clear()
        if todo:
            self.position(todo)
            self.consumer.resume(*todo)
        records = self.consumer.poll(timeout_ms=max(GROUP_POLL_MS, int(timeout_s * 1000)), max_records=self.batch_size)
        batch = Batch()
        keys = self.personal.keys.keys_for_reading(
            {lead for recs in records.values() for r in recs if (lead := lead_of(r.key))}
        )
        for tp, recs in records.items():
            for r in recs:
                batch.positions[tp.partition] = r.offset
                if stream_of(r.headers) in EVERY_STREAM - self.streams:
                    continue  # another record's event this read model does not read
                try:
                    batch.events.append(from_kafka(r.headers, r.value, self.personal, keys))
                except ContractError as e:
                    raw = (r.value or b"").decode("utf-8", "replace")
                    batch.rejects.append((f"{self.topic}/{tp.partition}@{r.offset}", str(e), raw))
        return batch

    def position(self, partitions: set[TopicPartition]) -> None:
        """Seek ``partitions`` to just after their stored positions (the start if none)."""
        stored = self.load_positions()
        for tp in partitions:
            if tp.partition in stored:
                self.consumer.seek(tp, stored[tp.partition] + 1)
            else:
                self.consumer.seek_to_beginning(tp)

    def acknowledge(self, batch: Batch) -> None:
        """Tell the group too, so Kafka's own tools (``kafka-consumer-groups --describe``) and the
        dashboards built on them show this projection's lag. The database stays the truth about
        positions (it is written in the rows' transaction; assignment seeks to it): this commit
        is a report. It is synchronous, once per batch: ``commit_async`` stalled kafka-python
        3.0's fetching now and then. A commit refused in a rebalance is simply skipped."""
        offsets = {
            TopicPartition(self.topic, partition): OffsetAndMetadata(position + 1, "", -1)
            for partition, position in batch.positions.items()
        }
        try:
            self.consumer.commit(offsets)
        except KafkaError as e:
            log.info("%s: offsets not reported to the group this time (%s)", self.topic, e)

    def close(self) -> None:
        self.consumer.close(autocommit=False)
