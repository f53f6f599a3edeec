"""What the events topic already holds, for a relay taking over: per partition, the log position
(``ce_notificationid``) of its last message, and the partition a lead's events go to.

The relay publishes in log order and each partition keeps that order, so every event of a
partition up to its last message's position is on the topic. A relay that takes over (or retries
after a failed batch) skips those instead of sending them again: the previous leader may have
been killed after Kafka acknowledged a batch and before it saved its position. Implements
``consumers.ports.PublishedTail``.
"""

from __future__ import annotations

import time

from kafka import KafkaConsumer, TopicPartition
from kafka.partitioner.default import murmur2

from infra.settings import Settings


class KafkaTail:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.count = settings.topic_partitions

    def partition_for(self, key: bytes) -> int:
        """The partition the Java client and kafka-python's default partitioner pick for a key."""
        return (murmur2(key) & 0x7FFFFFFF) % self.count

    def last_published(self, topic: str) -> dict[int, int]:
        consumer = KafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            enable_auto_commit=False,
            request_timeout_ms=self.settings.connect_timeout_s * 1000 + 1000,
        )
        try:
            partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
            self.count = len(partitions) or self.count
            ends = consumer.end_offsets(partitions)
            last: dict[int, int] = {tp.partition: 0 for tp in partitions}
            todo = {tp: end - 1 for tp, end in ends.items() if end > 0}
            if not todo:
                return last
            consumer.assign(list(todo))
            for tp, offset in todo.items():
                consumer.seek(tp, offset)
            deadline = time.monotonic() + 30
            while todo:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"could not read the last message of {sorted(str(t) for t in todo)}")
                for tp, records in consumer.poll(timeout_ms=1000).items():
                    for r in records:
                        if r.offset >= todo.get(tp, r.offset + 1):
                            headers = dict(r.headers or [])
                            last[tp.partition] = int(headers.get("ce_notificationid", b"0") or 0)
                            todo.pop(tp, None)
            return last
        finally:
            consumer.close()
