"""The benchmark's small run is part of the suite, so the harness cannot rot. It checks that
every stage ran and reported figures, not how fast they were: speed targets live in bench/."""

from __future__ import annotations

import json
from pathlib import Path

from bench.run import main


def test_the_small_benchmark_runs_every_stage_and_reports_ratios(
    postgres_server_dsn: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    out = tmp_path / "bench.json"
    rows = main(
        ["--scale", "small", "--json", str(out), "--postgres-dsn", postgres_server_dsn, "--kafka", kafka_bootstrap]
    )
    assert len(rows) == 21 and all(r.baseline > 0 for r in rows)
    # every figure was measured; the highest rate within the latency goal may honestly be none
    assert all(r.ours > 0 for r in rows if not r.stage.startswith("highest rate"))
    report = json.loads(out.read_text())
    assert report["scale"] == "small" and [(r["rate_per_s"], r["commands"]) for r in report["open_loop"]] == [
        (50, 100),
        (200, 400),
    ]
    assert [r["stage"] for r in report["rows"]] == [r.stage for r in rows]
