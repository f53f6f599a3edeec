"""Hostile files and races: out-of-range and unstorable values reject their row only, a NUL in
a file's head refuses it as binary, and the same file confirmed twice at once creates each lead
once."""

from __future__ import annotations

import threading
from pathlib import Path
from uuid import UUID

from infra.runtime import Engine
from tests.e2e.auth import ensure_user
from tests.integration.test_import import dry_run, good_row, report, template_file


def test_out_of_range_numbers_and_huge_cells_reject_their_row_only(engine: Engine, tmp_path: Path) -> None:
    rows = [
        {**good_row(1), "Company size": "99999999999"},
        {**good_row(2), "Annual revenue": "1e30"},
        {**good_row(3), "Job title": "x" * 100_000},
        {**good_row(4), "Full name": "\U0001d504da \U0001f600 Lovelace"},
    ]
    job = dry_run(engine, template_file(tmp_path / "hostile.csv", rows))
    verdicts = [(r["line"], r["outcome"], r["field"]) for r in report(engine, job)]
    assert verdicts == [
        (2, "rejected", "company_size"),
        (3, "rejected", "annual_revenue"),
        (4, "rejected", "row"),
        (5, "created", None),
    ], verdicts


def test_a_nul_in_the_files_head_refuses_it_as_binary(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "nul.csv"
    path.write_bytes(b"Name,Email\nA\x00n,ann@example.com\n")
    status = engine.imports.status(dry_run(engine, path))
    assert status["state"] == "refused" and "NUL" in status["error"]


def test_the_same_file_confirmed_twice_at_once_creates_each_lead_once(engine: Engine, tmp_path: Path) -> None:
    ensure_user(engine, "importer")
    path = template_file(tmp_path / "race.csv", [good_row(i) for i in range(40)])
    first = dry_run(engine, path)
    second = dry_run(engine, template_file(tmp_path / "race2.csv", [good_row(i) for i in range(40)]))
    runs = [
        threading.Thread(target=engine.imports.runner.run, args=(job,), kwargs={"actor": "importer"})
        for job in (first, second)
    ]
    for run in runs:
        run.start()
    for run in runs:
        run.join(timeout=120)
    leads = [{UUID(r["result"]["lead_id"]) for r in report(engine, job)} for job in (first, second)]  # type: ignore[index]
    assert leads[0] == leads[1] and len(leads[0]) == 40, "both confirms name the same 40 leads"
    assert all(engine.service.get_lead(i).version >= 1 for i in leads[0])
