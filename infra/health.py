"""What ``GET /health`` and ``/metrics`` report: each component, and each consumer's position,
lag and state.

The report is computed by a monitor thread every ``health_interval_s`` and served from memory,
so a scrape or a probe costs no query and no broker round trip, and answers at once even when
the broker or the database does not: the monitor marks a component that did not answer in time
as an error (the broker gets a one-second connection check first). Without the monitor (a
process that serves no HTTP) the report is computed on demand.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any, Protocol

from kafka import KafkaConsumer, TopicPartition

from consumers.positions import Positions
from consumers.quarantine import Quarantine
from consumers.rebuild import SUFFIX as REBUILD_SUFFIX
from domain.ports import EventLog
from infra.postgres import Database
from infra.settings import Mode, Settings

BROKER_CHECK_S = 1.0
SERVING = ("event_store", "read_store", "kafka")
"""What serving needs (``/readyz``): the stores and, in kafka mode, the broker. A quarantined
event or a routing fallback degrade ``/health`` but the engine still serves."""


class Engine(Protocol):
    """What the report looks at (``infra.runtime.Engine``)."""

    settings: Settings
    db: Database
    workers: list[Any]
    service: Any

    @property
    def positions(self) -> Positions: ...

    @property
    def event_log(self) -> EventLog: ...

    @property
    def projections(self) -> dict[str, Any]: ...


class KafkaOffsets:
    """End offsets of the events topic, through one long-lived client (not one per report)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.consumer: KafkaConsumer | None = None

    def ends(self) -> dict[int, int]:
        s = self.settings
        host, port = s.kafka_bootstrap_servers.split(",")[0].rsplit(":", 1)
        try:
            socket.create_connection((host, int(port)), timeout=BROKER_CHECK_S).close()
        except OSError as e:
            raise ConnectionError(f"broker {host}:{port} unreachable: {e}") from None
        if self.consumer is None:
            self.consumer = KafkaConsumer(
                bootstrap_servers=s.kafka_bootstrap_servers,
                enable_auto_commit=False,
                request_timeout_ms=s.connect_timeout_s * 1000 + 1000,
            )
        parts = [
            TopicPartition(s.events_topic, p) for p in sorted(self.consumer.partitions_for_topic(s.events_topic) or [])
        ]
        return {tp.partition: off for tp, off in self.consumer.end_offsets(parts).items()}

    def close(self) -> None:
        if self.consumer is not None:
            self.consumer.close()


def health(engine: Engine, offsets: KafkaOffsets | None = None) -> dict[str, Any]:
    """The report, computed now."""
    components: dict[str, Any] = {}
    log_head = _check(components, "event_store", lambda: {"last_position": engine.event_log.head()})
    rows = _check(components, "read_store", lambda: {"positions": _positions(engine), "counts": _quarantined(engine)})
    ends: dict[int, int] = {}
    if engine.settings.mode is Mode.KAFKA:
        probe = offsets or KafkaOffsets(engine.settings)
        try:
            ends = _check(components, "kafka", lambda: {"end_offsets": probe.ends()}).get("end_offsets", {})
        finally:
            if offsets is None:
                probe.close()
    else:
        components["kafka"] = {"status": "not used (embedded mode)"}
    head = log_head.get("last_position", 0)
    consumers: dict[str, Any] = {}
    for consumer, source, partition, position in rows.get("positions", []):
        entry = consumers.setdefault(consumer, {"source": source, "positions": {}, "lag": 0})
        entry["positions"][str(partition)] = position
        entry["lag"] += max(0, head - position) if source == "log" else max(0, ends.get(partition, 0) - 1 - position)
    for name, count in rows.get("counts", {}).items():
        consumers.setdefault(name, {"positions": {}, "lag": None})["quarantined"] = count
    components["consumers"] = consumers
    _check(components, "rebuilds", lambda: _rebuilds(engine))
    return with_workers(engine, {"components": components})


def with_workers(engine: Engine, report: dict[str, Any]) -> dict[str, Any]:
    """The report with the live state of this process's workers, and its verdict: degraded when
    a component is in error, a worker halted or failed, a projection quarantined events, or
    routing failed and sent leads to the fallback queue (a rule never fails a capture)."""
    components = dict(report["components"])
    consumers = {name: dict(c) for name, c in components.get("consumers", {}).items()}
    for worker in engine.workers:
        consumers.setdefault(worker.name, {"positions": {}, "lag": None})["status"] = worker.status
    components["consumers"] = consumers
    failures, last = engine.service.routing_fallbacks, engine.service.routing_last_failure
    components["routing"] = {"status": "ok" if not failures else "degraded", "fallbacks_after_failure": failures}
    if last:
        components["routing"]["last_failure"] = last
    failing = [n for n, c in components.items() if str(c.get("status", "ok")).startswith("error")]
    halted = [n for n, c in consumers.items() if str(c.get("status", "running")).startswith(("halted", "failed"))]
    quarantined = [n for n, c in consumers.items() if c.get("quarantined")]
    problems = [f"{n} is in error" for n in failing] + [f"{n} has halted" for n in halted]
    problems += [f"{n} quarantined {consumers[n]['quarantined']} event(s)" for n in quarantined]
    if failures:
        problems.append(f"routing sent {failures} lead(s) to the fallback queue after failing (last: {last})")
    verdict: dict[str, Any] = {"status": "degraded" if problems else "ok"}
    if problems:
        verdict["problems"] = problems
    not_ready = [f"{n} is in error" for n in failing if n in SERVING] + [f"{n} has halted" for n in halted]
    verdict["ready"] = not not_ready
    if not_ready:
        verdict["not_ready"] = not_ready
    return (
        verdict
        | {k: v for k, v in report.items() if k not in ("status", "problems", "ready", "not_ready", "components")}
        | {"components": components}
    )


class HealthMonitor:
    """Recomputes the report in the background; HTTP reads the last one."""

    name = "health-monitor"

    def __init__(self, engine: Engine, *, interval_s: float, stop: threading.Event) -> None:
        self.engine = engine
        self.interval_s = interval_s
        self.stop = stop
        self.offsets = KafkaOffsets(engine.settings)
        self.report: dict[str, Any] | None = None
        self.at = 0.0
        self.status = "starting"

    def run(self) -> None:
        self.status = "running"
        try:
            while not self.stop.is_set():
                self.report = health(self.engine, self.offsets)
                self.at = time.monotonic()
                self.stop.wait(self.interval_s)
        finally:
            self.offsets.close()
            self.status = "stopped"

    def current(self) -> dict[str, Any]:
        """The last report with this process's workers as they are now; computed on the spot if
        the monitor has not produced one yet."""
        if self.report is None:
            return health(self.engine, self.offsets)
        age = time.monotonic() - self.at
        report = self.report | {"age_s": round(age, 3)}
        return with_workers(self.engine, report)


def _check(components: dict[str, Any], name: str, probe: Any) -> dict[str, Any]:
    try:
        result: dict[str, Any] = probe()
    except Exception as e:
        components[name] = {"status": f"error: {e}"}
        return {}
    components[name] = {"status": "ok", **{k: v for k, v in result.items() if k not in ("positions", "counts")}}
    return result


def _positions(engine: Engine) -> list[tuple[str, str, int, int]]:
    with engine.db.cursor() as cur:
        return engine.positions.all(cur)


def _rebuilds(engine: Engine) -> dict[str, Any]:
    """Projections with a rebuild copy beside their live tables: a rebuild (``leads projections
    rebuild``, in any process) is under way, or was cut short and left its copy behind."""
    with engine.db.cursor() as cur:
        cur.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (engine.settings.read_schema,)
        )
        present = {row[0] for row in cur.fetchall()}
    running = [
        name
        for name, projection in sorted(engine.projections.items())
        if any(table.split(".")[-1] + REBUILD_SUFFIX in present for table in projection.tables)
    ]
    return {"running": running}


def _quarantined(engine: Engine) -> dict[str, int]:
    with engine.db.cursor() as cur:
        return Quarantine(schema=engine.settings.read_schema).counts(cur)
