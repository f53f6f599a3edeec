"""A Kafka consumer-group member as ``consumers.ports.MessageStream`` (the intake topic)."""

from __future__ import annotations

from collections.abc import Sequence

from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata

from consumers.ports import Message
from infra.kafka_source import GROUP_POLL_MS


class KafkaMessageStream:
    def __init__(self, consumer: KafkaConsumer, topic: str) -> None:
        """``consumer``: a group member, not yet subscribed, that does not auto-commit."""
        self.consumer = consumer
        self.topic = topic

    def subscribe(self) -> None:
        if not self.consumer.partitions_for_topic(self.topic):
            raise RuntimeError(f"topic {self.topic} has no partitions visible to the consumer")
        self.consumer.subscribe([self.topic])

    def poll(self, *, timeout_s: float, max_records: int) -> list[Message]:
        records = self.consumer.poll(timeout_ms=max(GROUP_POLL_MS, int(timeout_s * 1000)), max_records=max_records)
        return [
            Message(r.topic, r.partition, r.offset, r.key, r.value, list(r.headers or []))
            for recs in records.values()
            for r in recs
        ]

    def commit(self, messages: Sequence[Message]) -> None:
        last: dict[TopicPartition, int] = {}
        for m in messages:
            tp = TopicPartition(m.topic, m.partition)
            last[tp] = max(last.get(tp, -1), m.offset)
        self.consumer.commit({tp: OffsetAndMetadata(offset + 1, "", -1) for tp, offset in last.items()})

    def rewind(self, messages: Sequence[Message]) -> None:
        first: dict[TopicPartition, int] = {}
        for m in messages:
            tp = TopicPartition(m.topic, m.partition)
            first[tp] = min(first.get(tp, m.offset), m.offset)
        for tp, offset in first.items():
            self.consumer.seek(tp, offset)

    def close(self) -> None:
        self.consumer.close(autocommit=False)
