"""Read the dead-letter topic as it is (tests and diagnostics); the operators' workflow (filters,
replay, discard, audit) is ``infra.dead_letters``."""

from __future__ import annotations

from typing import Any

from kafka import KafkaConsumer, TopicPartition


def _read_to_end(consumer: KafkaConsumer, partitions: list[TopicPartition]) -> list[Any]:
    """Everything from the consumer's positions up to the end offsets seen at the start."""
    ends = consumer.end_offsets(partitions)
    records: list[Any] = []
    while any(consumer.position(tp) < end for tp, end in ends.items()):
        for recs in consumer.poll(timeout_ms=1000).values():
            records.extend(r for r in recs if r.offset < ends[TopicPartition(r.topic, r.partition)])
    return records


def describe(record: Any) -> dict[str, Any]:
    h = {k: v.decode("utf-8", "replace") for k, v in record.headers or []}
    return {
        "partition": record.partition,
        "offset": record.offset,
        "stage": h.get("dlq_stage"),
        "reason": h.get("dlq_reason"),
        "original": f"{h.get('dlq_topic')}/{h.get('dlq_partition')}@{h.get('dlq_offset')}",
        "failed_at": h.get("dlq_time"),
        "ce_type": h.get("ce_type"),
        "ce_id": h.get("ce_id"),
        "value": (record.value or b"")[:200].decode("utf-8", "replace"),
    }


def list_dead_letters(*, bootstrap_servers: str, dlq_topic: str) -> list[dict[str, Any]]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(dlq_topic, p) for p in sorted(consumer.partitions_for_topic(dlq_topic) or [])]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        return [describe(r) for r in _read_to_end(consumer, partitions)]
    finally:
        consumer.close()
