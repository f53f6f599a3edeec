"""Projection throughput with 1, 2 and 3 ``leads consume`` processes of one projection in one
consumer group, sharing the events topic's partitions (the read side's way past one core).

For each count: a topic, read schema and group of its own; the processes are started and the
group is waited for until it is stable with every member holding partitions; only then are the
same pre-encoded events produced (a raw producer, far faster than a projection applies), and the
clock runs from the first send to the moment the projection's stored offsets cover every
message. Start-up and rebalances are thus left out: the figure is applying speed alone.
"""

from __future__ import annotations

import signal
import subprocess
import time
import uuid
from typing import Any

from bench import stages
from consumers.positions import Positions
from domain.contract.cloudevents import to_kafka
from domain.lead import Lead
from infra.kafka_bus import admin_client, make_producer
from infra.postgres import open_database
from infra.read_side import projections
from infra.runtime import Engine
from infra.settings import Settings

PROJECTION = "lead_list"
COUNTS = (1, 2, 3)


def scale_out(engine: Engine, events: int, *, leads: str, env: dict[str, str]) -> dict[int, float]:
    """Events/s applied by 1, 2 and 3 processes (``leads``: the command; ``env``: its base
    environment, for the engine's database and broker)."""
    s = engine.settings
    for start in range(0, events, 400):
        engine.service.save(
            *[Lead.capture(details=stages.details(i), meta=stages.META) for i in range(start, min(events, start + 400))]
        )
    envelopes, _ = engine.event_log.read(start=1, limit=events, sealed=True)
    encoded = [to_kafka(e) for e in envelopes]
    return {count: _throughput(s, count, encoded, leads=leads, env=env) for count in COUNTS}


def _throughput(base: Settings, count: int, encoded: list[Any], *, leads: str, env: dict[str, str]) -> float:
    tag = uuid.uuid4().hex[:6]
    s = base.model_copy(
        update={"topic_prefix": f"scale{count}{tag}.", "read_schema": f"scale{count}_{tag}", "consumer_group": tag}
    )
    name = projections(s.read_schema)[PROJECTION].name
    child_env = env | {
        "LEADS_TOPIC_PREFIX": s.topic_prefix,
        "LEADS_READ_SCHEMA": s.read_schema,
        "LEADS_CONSUMER_GROUP": s.consumer_group,
        "LEADS_IDLE_WAIT_MS": "5",
    }
    procs = [
        subprocess.Popen(
            [leads, "consume", "--projection", PROJECTION],
            env=child_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]
    admin = admin_client(s)
    db = open_database(s)
    producer = make_producer(s, client_id="bench-scale-out")
    try:
        group = f"{s.consumer_group}.{name}"
        stages.until(lambda: _stable(admin, group, count, procs), f"{count} consumers to share the partitions")
        started = time.perf_counter()
        futures = [producer.send(s.events_topic, key=k, value=v, headers=h) for k, v, h in encoded]
        producer.flush()
        ends: dict[int, int] = {}
        for f in futures:
            meta = f.get()
            ends[meta.partition] = max(ends.get(meta.partition, -1), meta.offset)
        positions = Positions(schema=s.read_schema)
        stages.until(lambda: _covered(db, positions, name, s.events_topic, ends), f"{count} consumers to apply")
        return len(encoded) / (time.perf_counter() - started)
    finally:
        producer.close()
        admin.close()
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=60)
        db.close()


def _stable(admin: Any, group: str, count: int, procs: list[subprocess.Popen[bytes]]) -> bool:
    if any(p.poll() is not None for p in procs):
        raise RuntimeError(f"a consumer of {group} exited early")
    try:
        described = admin.describe_groups([group])[group]
    except Exception:
        return False  # not created yet
    if described["group_state"] != "Stable":
        return False
    members = described["members"]
    holding = [m for m in members if (m["member_assignment"] or {}).get("assigned_partitions")]
    return len(members) == count and len(holding) == count


def _covered(db: Any, positions: Any, name: str, topic: str, ends: dict[int, int]) -> bool:
    with db.cursor() as cur:
        try:
            applied = positions.load(cur, consumer=name, source=topic)
        except Exception:
            return False
    return all(applied.get(p, -1) >= offset for p, offset in ends.items())
