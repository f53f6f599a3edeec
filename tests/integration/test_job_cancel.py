"""Cancelling import and mass-action jobs, against the real PostgreSQL: a job at rest stops at
once, one at work between two chunks, and it says what it did and what it did not (``not_run``);
cancelling again changes nothing, and a job that is over, or unknown, refuses."""

from __future__ import annotations

import uuid
from pathlib import Path
from uuid import UUID

import pytest

import consumers.bulk_jobs
import consumers.import_runner
from consumers.import_planner import row_lead_id
from domain.bulk import BulkRequest
from domain.errors import InvalidCommand, JobOver, NotFound
from domain.values import EventMeta, LeadDetails
from infra.runtime import Engine
from tests.e2e.auth import ensure_user
from tests.integration.test_import import dry_run, good_row, report, template_file


def allow(*_: object) -> None:
    return None


def test_an_import_cancelled_while_it_runs_stops_between_chunks_and_says_what_it_did(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(consumers.import_runner, "CHUNK", 5)
    ensure_user(engine, "importer")
    imports = engine.imports
    job = dry_run(engine, template_file(tmp_path / "a.csv", [good_row(i) for i in range(12)]))
    assert imports.store.claim_confirm(job, actor="importer")

    def after_chunk(done: int) -> None:
        if done == 5:
            assert imports.cancel(job, actor="boss")["state"] == "cancelling"

    imports.runner.run(job, actor="importer", progress=after_chunk)

    status = imports.status(job)
    assert (status["state"], status["results"], status["cancelled_by"]) == (
        "cancelled",
        {"created": 5, "not_run": 7},
        "boss",
    )
    assert sum(1 for r in report(engine, job) if r["result"]) == 5, "the rows not run have no result"
    batch = engine.service.import_batch(job)
    assert batch.cancelled and batch.finished == {"created": 5, "not_run": 7}
    assert imports.cancel(job, actor="boss")["results"] == {"created": 5, "not_run": 7}, "cancelling again: no change"
    with pytest.raises(InvalidCommand, match="planned"):
        imports.confirm(job, actor="importer", check=allow, wait=True)


def test_a_planned_import_cancelled_is_never_carried_out(engine: Engine, tmp_path: Path) -> None:
    ensure_user(engine, "importer")
    job = dry_run(engine, template_file(tmp_path / "a.csv", [good_row(1), good_row(2)]))
    cancelled = engine.imports.cancel(job, actor="importer")
    assert (cancelled["state"], cancelled["results"]) == ("cancelled", {"not_run": 2})
    with pytest.raises(InvalidCommand):
        engine.imports.confirm(job, actor="importer", check=allow, wait=True)
    assert engine.service.import_batch(job).cancelled
    assert all(r["result"] is None for r in report(engine, job))
    with pytest.raises(NotFound):
        engine.service.get_lead(row_lead_id(engine.imports.status(job)["file_hash"], 2))


def test_a_finished_or_unknown_import_cannot_be_cancelled(engine: Engine, tmp_path: Path) -> None:
    ensure_user(engine, "importer")
    job = dry_run(engine, template_file(tmp_path / "a.csv", [good_row(1)]))
    engine.imports.confirm(job, actor="importer", check=allow, wait=True)
    with pytest.raises(JobOver, match="finished"):
        engine.imports.cancel(job, actor="importer")
    assert engine.imports.status(job)["state"] == "finished"
    with pytest.raises(NotFound):
        engine.imports.cancel(uuid.uuid4(), actor="importer")
    (tmp_path / "a.pdf").write_bytes(b"%PDF-1.4")
    refused = dry_run(engine, tmp_path / "a.pdf")
    assert engine.imports.status(refused)["state"] == "refused"
    with pytest.raises(JobOver, match="refused"):
        engine.imports.cancel(refused, actor="importer")


def leads(engine: Engine, count: int) -> list[UUID]:
    return [
        engine.service.capture_lead(
            details=LeadDetails(contact_name=f"Bulk {i}", email=f"bulk{i}@example.com"),
            meta=EventMeta(actor="admin", command_id=f"bulk-cancel-{i}"),
        ).lead_id
        for i in range(count)
    ]


def chunked_job(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, count: int
) -> tuple[uuid.UUID, list[UUID], consumers.bulk_jobs.BulkJobs]:
    """``count`` leads, and mass actions run in chunks of 3 under a job id known in advance."""
    monkeypatch.setattr(consumers.bulk_jobs, "CHUNK", 3)
    job_id = uuid.uuid4()
    monkeypatch.setattr(consumers.bulk_jobs, "uuid4", lambda: job_id)
    return (
        job_id,
        leads(engine, count),
        consumers.bulk_jobs.BulkJobs(service=engine.service, store=engine.imports.store),
    )


def test_a_mass_action_cancelled_while_it_runs_stops_between_chunks_and_counts_the_leads_not_run(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id, ids, bulk = chunked_job(engine, monkeypatch, 8)
    checked: list[UUID] = []

    def check(_action: object, lead: object) -> None:
        checked.append(lead.id)  # type: ignore[attr-defined]
        if len(checked) == 2:
            bulk.cancel(job_id, actor="admin")

    request = BulkRequest.model_validate({"action": "add_tags", "tags": ["stopped"]})
    bulk.start(request=request, lead_ids=ids, user="admin", key="stop-me", check=check, wait=True)

    job = bulk.status(job_id)
    assert (job["state"], job["results"]) == ("cancelled", {"done": 3, "not_run": 5})
    tagged = [i for i in ids if "stopped" in engine.service.get_lead(i).details.tags]
    assert tagged == ids[:3], "the chunk under way is finished, nothing after it"
    assert bulk.cancel(job_id, actor="admin")["results"] == {"done": 3, "not_run": 5}
    with pytest.raises(NotFound):
        bulk.cancel(uuid.uuid4(), actor="admin")
    with pytest.raises(NotFound):
        engine.imports.cancel(job_id, actor="admin")


def test_a_finished_mass_action_cannot_be_cancelled(engine: Engine) -> None:
    bulk = consumers.bulk_jobs.BulkJobs(service=engine.service, store=engine.imports.store)
    request = BulkRequest.model_validate({"action": "add_tags", "tags": ["done"]})
    job_id = bulk.start(request=request, lead_ids=leads(engine, 2), user="admin", key="k", check=allow, wait=True)
    with pytest.raises(JobOver, match="finished"):
        bulk.cancel(job_id, actor="admin")
