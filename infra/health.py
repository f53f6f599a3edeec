"""What ``GET /health`` reports: each component, and each consumer's position and lag."""

from __future__ import annotations

from typing import Any, Protocol

import psycopg2
from kafka import KafkaConsumer, TopicPartition

from consumers.positions import Positions
from consumers.quarantine import Quarantine
from domain.ports import EventLog
from infra.postgres import Database
from infra.settings import Mode, Settings


class Worker(Protocol):
    @property
    def name(self) -> str: ...

    status: str


class Engine(Protocol):
    """What the report looks at (``infra.runtime.Engine``)."""

    settings: Settings
    db: Database
    workers: list[Any]

    @property
    def positions(self) -> Positions: ...

    @property
    def event_log(self) -> EventLog: ...


def health(engine: Engine) -> dict[str, Any]:
    components: dict[str, Any] = {}
    log_head = _check(components, "event_store", lambda: {"last_position": engine.event_log.head()})
    rows = _check(components, "read_store", lambda: {"positions": _positions(engine)})
    ends: dict[int, int] = {}
    if engine.settings.mode is Mode.KAFKA:
        ends = _check(components, "kafka", lambda: {"end_offsets": _end_offsets(engine)}).get("end_offsets", {})
    else:
        components["kafka"] = {"status": "not used (embedded mode)"}
    head = log_head.get("last_position", 0)
    consumers: dict[str, Any] = {}
    for consumer, source, partition, position in rows.get("positions", []):
        entry = consumers.setdefault(consumer, {"source": source, "positions": {}, "lag": 0})
        entry["positions"][str(partition)] = position
        entry["lag"] += max(0, head - position) if source == "log" else max(0, ends.get(partition, 0) - 1 - position)
    for worker in engine.workers:
        consumers.setdefault(worker.name, {"positions": {}, "lag": None})["status"] = worker.status
    for name, count in _quarantined(engine).items():
        consumers.setdefault(name, {"positions": {}, "lag": None})["quarantined"] = count
    components["consumers"] = consumers
    failing = [
        n for n, c in components.items() if isinstance(c, dict) and str(c.get("status", "ok")).startswith("error")
    ]
    halted = [n for n, c in consumers.items() if str(c.get("status", "running")).startswith(("halted", "failed"))]
    return {"status": "ok" if not failing and not halted else "degraded", "components": components}


def _check(components: dict[str, Any], name: str, probe: Any) -> dict[str, Any]:
    try:
        result: dict[str, Any] = probe()
    except Exception as e:
        components[name] = {"status": f"error: {e}"}
        return {}
    components[name] = {"status": "ok", **{k: v for k, v in result.items() if k != "positions"}}
    return result


def _positions(engine: Engine) -> list[tuple[str, str, int, int]]:
    with engine.db.cursor() as cur:
        return engine.positions.all(cur)


def _quarantined(engine: Engine) -> dict[str, int]:
    try:
        with engine.db.cursor() as cur:
            return Quarantine(schema=engine.settings.read_schema).counts(cur)
    except psycopg2.Error:
        return {}


def _end_offsets(engine: Engine) -> dict[int, int]:
    s = engine.settings
    consumer = KafkaConsumer(
        bootstrap_servers=s.kafka_bootstrap_servers,
        enable_auto_commit=False,
        request_timeout_ms=s.connect_timeout_s * 1000 + 1000,
    )
    try:
        parts = [TopicPartition(s.events_topic, p) for p in sorted(consumer.partitions_for_topic(s.events_topic) or [])]
        return {tp.partition: off for tp, off in consumer.end_offsets(parts).items()}
    finally:
        consumer.close()
