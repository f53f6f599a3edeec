"""Operators see each projection's lag where they look: Kafka's own consumer-group tool
(`kafka-consumer-groups --describe`, run from the broker's jars) lists every projection group
with its lag, and /metrics exposes per-projection lag and the relay's backlog."""

from __future__ import annotations

import os
import subprocess
from collections import defaultdict

from domain.values import EventMeta, LeadDetails
from infra.health import health
from infra.metrics import render
from infra.runtime import Engine
from infra.settings import Settings
from tests.conftest import wait_for
from tests.integration.helpers import run_in_thread, wait_until_all_projected

META = EventMeta(actor="rep-1")
LIBS = os.environ.get("LEADS_KAFKA_LIBS", "/work/main/.cache/kafka-libs")


def describe_groups(settings: Settings, groups: list[str]) -> dict[str, dict[int, int]]:
    """``kafka-consumer-groups --describe``: per group, the lag of each partition of the events topic."""
    command = [
        "java",
        "-cp",
        f"{LIBS}/*",
        "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
        "--bootstrap-server",
        settings.kafka_bootstrap_servers,
        "--describe",
        *[arg for g in groups for arg in ("--group", g)],
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    lags: dict[str, dict[int, int]] = defaultdict(dict)
    for line in done.stdout.splitlines():
        cells = line.split()
        if len(cells) >= 6 and cells[0] in groups and cells[1] == settings.events_topic and cells[5].isdigit():
            lags[cells[0]][int(cells[2])] = int(cells[5])
    return lags


def capture(engine: Engine, n: int, prefix: str) -> None:
    for i in range(n):
        engine.service.capture_lead(
            details=LeadDetails(contact_name=f"{prefix}{i}", email=f"{prefix}{i}@example.com"), meta=META
        )


def test_every_projection_group_shows_its_lag_in_kafkas_own_tool_and_in_metrics(kafka_settings: Settings) -> None:
    s = kafka_settings
    engine = Engine.open(s)
    capture(engine, 30, "a")
    engine.start_background()
    wait_until_all_projected(engine)
    # read models that read the event store's log (the customer master's) have no Kafka group
    groups = [f"{s.consumer_group}.{p.name}" for p in engine.projections.values() if not getattr(p, "log_only", False)]
    engine.close()

    later = Engine.open(s)
    capture(later, 9, "b")
    metrics = render(health(later)).decode()
    assert "leads_relay_backlog 9.0" in metrics
    relay = run_in_thread(later.relay())
    try:
        wait_for(lambda: "leads_relay_backlog 0.0" in render(health(later)).decode(), what="the relay to publish")
        metrics = render(health(later)).decode()
        for p in later.projections.values():
            assert f'leads_projection_lag{{projection="{p.name}"}} 9.0' in metrics, metrics
        lags = describe_groups(s, groups)
    finally:
        later.stop.set()
        relay.join(timeout=15)
        later.close()
    assert set(lags) == set(groups), f"every projection group is listed: {sorted(lags)}"
    for group in groups:
        assert set(lags[group]) == set(range(s.topic_partitions)), group
        assert sum(lags[group].values()) == 9, f"{group}: the 9 events published while it was stopped"
