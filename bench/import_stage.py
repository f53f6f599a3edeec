"""The import stage of ``make bench``: rows/s of a CSV imported whole (dry run, then confirm),
against the intake path applying the same leads (``apply_message`` in batches, with its
duplicate screen, no broker) in the same run; and the process's peak RSS while importing
against its RSS before (bounded memory: the file streams)."""

from __future__ import annotations

import csv
import os
import tempfile
import time
import uuid
from pathlib import Path

import psutil

from bench.stages import rss_growth
from consumers.import_planner import ImportRequest
from consumers.intake import apply_message
from domain.contract.intake import intake_type
from domain.duplicates import flag
from domain.import_mapping import template_headers
from infra.runtime import Engine


def write_csv(path: Path, rows: int, prefix: str) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(template_headers())
        blank = [""] * (len(template_headers()) - 4)
        for i in range(rows):
            writer.writerow([f"{prefix} {i}", "", "", f"{prefix}{i}@example.com", *blank])


def import_rows(engine: Engine, rows: int) -> tuple[float, float, float, float]:
    """(import rows/s, intake messages/s, peak RSS MiB while importing, RSS MiB before)."""
    folder = Path(tempfile.mkdtemp(prefix="leads-bench-import-"))
    path = folder / "bench.csv"
    write_csv(path, rows, "Imp")
    imports = engine.imports
    request = ImportRequest(path=path, file_name=path.name, actor="bench")
    process = psutil.Process(os.getpid())
    elapsed = 0.0

    def load() -> None:
        nonlocal elapsed
        started = time.perf_counter()
        job_id = imports.store_job(request)
        imports.planner.plan(job_id, request)
        imports.runner.run(job_id, actor="bench")
        elapsed = time.perf_counter() - started

    peak, before = rss_growth(lambda: process.memory_info().rss / 2**20, load)
    path.unlink()
    ours = rows / elapsed

    screen = flag(engine.queries)
    started = time.perf_counter()
    for start in range(0, rows, engine.settings.batch_size):
        with engine.service.batch(assume_new=True):
            for i in range(start, min(rows, start + engine.settings.batch_size)):
                body = f'{{"contact_name": "In {i}", "email": "in{i}@example.com"}}'.encode()
                headers = [
                    ("ce_specversion", b"1.0"),
                    ("ce_id", str(uuid.uuid4()).encode()),
                    ("ce_source", b"urn:bench"),
                    ("ce_type", intake_type("capture").encode()),
                ]
                apply_message(engine.service, headers, body, screen)
    base = rows / (time.perf_counter() - started)
    return ours, base, peak, before
