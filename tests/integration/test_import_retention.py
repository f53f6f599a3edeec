"""What imports keep of a file's rows (cells and verdicts: personal data) does not outlive its
purpose: rows of a job idle past ``import_retention_days`` are deleted by the retention sweep,
and erasing a lead blanks what import rows hold of it. Against the real PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from consumers.import_retention import ImportRetention
from domain.erasure import erase_lead
from domain.errors import InvalidCommand, NotFound
from domain.import_plan import DuplicatePolicy
from domain.values import EventMeta
from infra.blobs import BlobStore
from infra.import_store import PostgresImportStore
from infra.runtime import Engine
from tests.e2e.auth import ensure_user
from tests.integration.test_import import dry_run, good_row, report, template_file


def store(engine: Engine) -> PostgresImportStore:
    return PostgresImportStore(engine.db, schema=engine.settings.event_schema)


def rows_of(engine: Engine, job: UUID) -> list[tuple[int, Any, Any, Any]]:
    with engine.db.cursor() as cur:
        cur.execute(
            f"SELECT line, cells, plan, result FROM {engine.settings.event_schema}.import_rows "
            "WHERE import_id = %s ORDER BY line",
            (str(job),),
        )
        return [(r[0], r[1], r[2], r[3]) for r in cur.fetchall()]


def idle_for(engine: Engine, job: UUID, days: int) -> None:
    """The job last moved ``days`` ago (as if the clock had run on)."""
    with engine.db.cursor() as cur:
        cur.execute(
            f"UPDATE {engine.settings.event_schema}.import_jobs SET updated_at = now() - make_interval(days => %s) "
            "WHERE id = %s",
            (days, str(job)),
        )


def retention(engine: Engine, days: int) -> ImportRetention:
    return ImportRetention(store=store(engine), days=days, interval_s=3600, stop=threading.Event())


def confirm(engine: Engine, job: UUID) -> None:
    engine.imports.confirm(job, actor="importer", check=lambda *_: None, wait=True)


def test_the_rows_of_an_import_idle_past_the_retention_period_are_deleted_and_the_job_keeps_its_counts(
    engine: Engine, tmp_path: Path
) -> None:
    ensure_user(engine, "importer")
    rows = [good_row(1), good_row(2), {**good_row(3), "Email": "broken"}]
    job = dry_run(engine, template_file(tmp_path / "a.csv", rows))
    confirm(engine, job)
    recent = dry_run(engine, template_file(tmp_path / "b.csv", [good_row(4)]))
    sweep = retention(engine, days=30)

    assert sweep.sweep(now=datetime.now(UTC)) == 0, "nothing is purged before its time"
    idle_for(engine, job, 31)
    assert sweep.sweep(now=datetime.now(UTC)) == 1
    assert rows_of(engine, job) == []
    assert len(rows_of(engine, recent)) == 1, "a job still within its time keeps its rows"
    status = engine.imports.status(job)
    assert status["results"] == {"created": 2, "rejected": 1} and status["purged_at"]
    with pytest.raises(NotFound, match="retention"):
        engine.imports.report(job, after_line=0, limit=10, outcome=None)
    with pytest.raises(NotFound, match="retention"):
        list(engine.imports.rejected_csv(job))
    assert sweep.sweep(now=datetime.now(UTC)) == 0, "a purged job is not purged again"


def test_a_planned_import_purged_for_age_can_no_longer_be_confirmed(engine: Engine, tmp_path: Path) -> None:
    ensure_user(engine, "importer")
    job = dry_run(engine, template_file(tmp_path / "a.csv", [good_row(1)]))
    idle_for(engine, job, 8)
    assert retention(engine, days=7).sweep(now=datetime.now(UTC)) == 1
    with pytest.raises(InvalidCommand, match="planned"):
        confirm(engine, job)


def test_the_retention_period_is_a_bounded_setting(engine: Engine) -> None:
    from pydantic import ValidationError

    from infra.settings import Settings

    assert engine.settings.import_retention_days == 30
    for bad in (0, -1, 10_000):
        with pytest.raises(ValidationError, match="import_retention_days"):
            Settings(import_retention_days=bad)


def erase(engine: Engine, lead_id: UUID) -> None:
    erase_lead(
        service=engine.service,
        keys=engine.service.keys,
        blobs=BlobStore(engine.db, schema=engine.settings.event_schema),
        lead_id=lead_id,
        meta=EventMeta(actor="admin"),
        request="DSR-19",
        expected_version=None,
        imports=store(engine),
    )


def test_erasing_a_lead_blanks_the_cells_and_verdicts_import_rows_hold_of_it(engine: Engine, tmp_path: Path) -> None:
    ensure_user(engine, "importer")
    job = dry_run(engine, template_file(tmp_path / "a.csv", [good_row(1), good_row(2)]))
    confirm(engine, job)
    first, second = (UUID(r["result"]["lead_id"]) for r in report(engine, job))  # type: ignore[index]
    looked_alike = dry_run(engine, template_file(tmp_path / "b.csv", [good_row(1)]))
    (row,) = report(engine, looked_alike)
    assert row["candidates"][0]["contact_name"] == "Person 1"  # type: ignore[index]
    pending = dry_run(
        engine, template_file(tmp_path / "c.csv", [{**good_row(1), "Job title": "CEO"}]), policy=DuplicatePolicy.UPDATE
    )

    erase(engine, first)

    (_, cells, plan, result), (_, kept, _, _) = rows_of(engine, job)
    assert cells == [] and "details" not in plan and result["result"] == "created"
    assert "Person 2" in kept, "another lead's row is untouched"
    ((_, _, plan, _),) = rows_of(engine, looked_alike)
    assert plan["candidates"][0]["contact_name"] == "" and "Person 1" not in str(plan)
    ((_, cells, plan, result),) = rows_of(engine, pending)
    assert cells == [] and "changes" not in plan and result["result"] == "failed"
    confirm(engine, pending)
    assert engine.imports.status(pending)["results"] == {"failed": 1}, "the erased lead is not updated again"
    assert engine.service.get_lead(second).details.contact_name == "Person 2"
