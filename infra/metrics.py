"""Prometheus exposition of the health report: position, lag and state of every consumer.

Built per scrape from :func:`infra.health.health`, so the numbers are exactly what ``/health``
shows and no second bookkeeping can drift from it.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Gauge, generate_latest


def render(report: dict[str, Any]) -> bytes:
    registry = CollectorRegistry()
    position = Gauge(
        "leads_consumer_position",
        "Last applied position (log id or Kafka offset)",
        ["consumer", "partition"],
        registry=registry,
    )
    lag = Gauge("leads_consumer_lag", "Events not yet applied", ["consumer"], registry=registry)
    running = Gauge(
        "leads_consumer_running",
        "1 when the consumer runs in this process, 0 when halted or failed",
        ["consumer"],
        registry=registry,
    )
    quarantined = Gauge(
        "leads_consumer_quarantined", "Events set aside by the quarantine policy", ["consumer"], registry=registry
    )
    Gauge("leads_up", "1 when every component is healthy", registry=registry).set(report["status"] == "ok")
    Gauge(
        "leads_routing_fallbacks_after_failure",
        "Leads sent to the fallback queue because routing failed (since this process started)",
        registry=registry,
    ).set(report["components"].get("routing", {}).get("fallbacks_after_failure", 0))
    projection_lag = Gauge(
        "leads_projection_lag",
        "Events on the events topic a projection has not applied yet (end offsets minus its positions)",
        ["projection"],
        registry=registry,
    )
    backlog = Gauge(
        "leads_relay_backlog", "Events in the log the relay has not published to Kafka yet", registry=registry
    )
    for name, c in report["components"].get("consumers", {}).items():
        if c.get("lag") is not None:
            (backlog if name == "relay" else projection_lag.labels(name)).set(c["lag"])
        for partition, value in c.get("positions", {}).items():
            position.labels(name, partition).set(value)
        if c.get("lag") is not None:
            lag.labels(name).set(c["lag"])
        if "status" in c:
            running.labels(name).set(str(c["status"]).startswith("running"))
        quarantined.labels(name).set(c.get("quarantined", 0))
    return bytes(generate_latest(registry))
