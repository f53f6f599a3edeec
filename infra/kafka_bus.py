"""Kafka adapters: reachability check, topic provisioning, producer and consumer configuration.

Topics are created explicitly (never by auto-create) and waited for; the events topic keeps
everything forever because it is the audit trail.
"""

from __future__ import annotations

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType
from kafka.errors import KafkaError, TopicAlreadyExistsError

from infra.errors import StartupError
from infra.settings import Settings

UNLIMITED = {"retention.ms": "-1", "retention.bytes": "-1"}


HEADROOM = 64 * 1024
"""Bytes of headers and record framing around the largest event."""


def max_message_bytes(settings: Settings) -> int:
    """The largest message the engine publishes: an event at its limit, with its headers."""
    return settings.limits.event_bytes + HEADROOM


def topic_specs(settings: Settings) -> dict[str, dict[str, object]]:
    n = settings.topic_partitions
    events = UNLIMITED | {"max.message.bytes": str(max_message_bytes(settings))}
    return {
        settings.events_topic: {"num_partitions": n, "replication_factor": -1, "configs": events},
        settings.intake_topic: {"num_partitions": n, "replication_factor": -1, "configs": {}},
        settings.dlq_topic: {
            "num_partitions": 1,
            "replication_factor": -1,
            "configs": {"retention.ms": str(settings.dlq_retention_days * 86_400_000)},
        },
        settings.notifications_topic: {"num_partitions": n, "replication_factor": -1, "configs": {}},
    }


def admin_client(settings: Settings) -> KafkaAdminClient:
    try:
        return KafkaAdminClient(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            client_id="leads-admin",
            request_timeout_ms=settings.connect_timeout_s * 1000,
            bootstrap_timeout_ms=settings.connect_timeout_s * 1000,
        )
    except (KafkaError, OSError) as e:
        raise StartupError(f"cannot reach Kafka at {settings.kafka_bootstrap_servers}: {e}") from None


def ensure_topics(settings: Settings) -> None:
    """Create the engine's topics where missing; refuse an events topic with the wrong partition count."""
    admin = admin_client(settings)
    try:
        specs = topic_specs(settings)
        existing = set(admin.list_topics())
        missing = {name: spec for name, spec in specs.items() if name not in existing}
        if missing:
            try:
                admin.create_topics(missing, wait_for_metadata=True)
            except TopicAlreadyExistsError:
                admin.wait_for_topics(list(missing))
        check_events_topic(admin, settings)
    finally:
        admin.close()


def check_events_topic(admin: KafkaAdminClient, settings: Settings) -> None:
    """Refuse an events topic that would silently lose order or history."""
    topic = settings.events_topic
    count = len(admin.describe_topics([topic])[0]["partitions"])
    if count != settings.topic_partitions:
        raise StartupError(
            f"Kafka topic {topic} has {count} partitions, settings say {settings.topic_partitions}; "
            "fix LEADS_TOPIC_PARTITIONS or the topic"
        )
    configs = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)], config_filter="all")
    values = {k: v["value"] for k, v in configs["topic"][topic].items()}
    wrong = {k: values.get(k) for k, want in UNLIMITED.items() if values.get(k) != want}
    if values.get("cleanup.policy", "delete") != "delete":
        wrong["cleanup.policy"] = values["cleanup.policy"]
    if wrong:
        shown = ", ".join(f"{k}={v}" for k, v in wrong.items())
        raise StartupError(
            f"Kafka topic {topic} would drop audit history ({shown}); it needs retention.ms=-1, "
            "retention.bytes=-1 and cleanup.policy=delete"
        )
    if int(values.get("max.message.bytes") or 0) < max_message_bytes(settings):
        raise StartupError(
            f"Kafka topic {topic} takes messages of at most {values.get('max.message.bytes')} bytes; events may be "
            f"{max_message_bytes(settings)} (event_bytes): raise the topic's max.message.bytes"
        )


def make_producer(settings: Settings, *, client_id: str = "leads-relay") -> KafkaProducer:
    """Idempotent, acks from all replicas, batched and compressed as ``settings.producer`` says."""
    p = settings.producer
    return KafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=p.linger_ms,
        batch_size=p.batch_bytes,
        max_request_size=max_message_bytes(settings),
        compression_type=None if p.compression == "none" else p.compression,
    )


def make_consumer(settings: Settings, *, group_id: str, client_id: str) -> KafkaConsumer:
    """A group member that never commits on its own: positions are stored by whoever applies.

    Incremental fetch sessions (KIP-227) are off: with them, kafka-python 3.0 now and then
    stopped returning records for partitions it got in a rebalance (dpkp/kafka-python#3131);
    full fetch requests cost a few bytes per partition and never stalled in our runs.
    """
    return KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=group_id,
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=settings.batch_size,
        session_timeout_ms=settings.consumer_session_timeout_ms,
        heartbeat_interval_ms=max(1000, settings.consumer_session_timeout_ms // 5),
        enable_incremental_fetch_sessions=False,
    )
