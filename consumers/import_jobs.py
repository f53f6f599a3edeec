"""Imports as jobs, for the HTTP API: a dry run starts on upload and a confirm on request, each
in a background thread; the job's state, counts, rate and ETA, its per-row report and its
rejected rows are read from the store at any time (from any process).

A job moves ``planning`` → ``planned`` (or ``refused``, with the reason) → ``running`` →
``finished`` (or ``interrupted``, with the cause: confirming again resumes it).
"""

from __future__ import annotations

import csv
import io
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from consumers.import_files import open_table
from consumers.import_planner import ImportPlanner, ImportRequest
from consumers.import_runner import Check, ImportRunner
from consumers.ports import ImportStore
from domain.errors import InvalidCommand, JobOver, NotFound
from domain.import_mapping import map_headers, template_example, template_headers
from domain.import_plan import DuplicatePolicy

log = logging.getLogger(__name__)
PAGE = 1000


class ImportJobs:
    def __init__(self, *, planner: ImportPlanner, runner: ImportRunner, store: ImportStore) -> None:
        self.planner = planner
        self.runner = runner
        self.store = store
        self.threads: list[threading.Thread] = []

    def store_job(self, request: ImportRequest) -> UUID:
        job_id = uuid4()
        self.store.create_job(
            job_id,
            {"state": "planning", "actor": request.actor, "file_name": request.file_name, "policy": request.policy},
        )
        return job_id

    def start(
        self, *, path: Path, file_name: str, actor: str, policy: DuplicatePolicy, overrides: dict[str, str]
    ) -> UUID:
        """The API's door: a file that is not CSV or XLSX, or whose headers cannot be mapped, is
        refused at once (``UnreadableFile``, ``InvalidCommand``); otherwise its dry run starts in
        the background."""
        try:
            table = open_table(path, name=file_name)
            map_headers(table.headers, overrides)
        except Exception:
            path.unlink(missing_ok=True)
            raise
        request = ImportRequest(path=path, file_name=file_name, actor=actor, policy=policy, overrides=overrides)
        return self.submit(request)

    def submit(self, request: ImportRequest, *, wait: bool = False) -> UUID:
        """Start the dry run of an uploaded file (deleted once read); return the job's id."""
        job_id = self.store_job(request)

        def plan() -> None:
            try:
                self.planner.plan(job_id, request)
            except Exception as e:
                log.info("import %s refused or failed: %s", job_id, e)
                job = self.store.job(job_id)
                if job and job["state"] == "planning":
                    self.store.update_job(job_id, {"state": "refused", "error": f"{type(e).__name__}: {e}"})
            finally:
                request.path.unlink(missing_ok=True)

        self._start(plan, wait)
        return job_id

    def confirm(self, job_id: UUID, *, actor: str, check: Check, wait: bool = False) -> dict[str, Any]:
        job = self.status(job_id)
        if not self.store.claim_confirm(job_id, actor=actor):
            raise InvalidCommand(
                f"the import is {job['state']}; a planned (or interrupted) import can be confirmed", field="state"
            )

        def run() -> None:
            try:
                self.runner.run(job_id, actor=actor, check=check)
            except Exception:
                log.exception("import %s interrupted", job_id)

        self._start(run, wait)
        return self.status(job_id)

    def cancel(self, job_id: UUID, *, actor: str) -> dict[str, Any]:
        """Stop the job: at once if it is at rest (planned, interrupted, or its process stopped),
        else between two chunks (``cancelling``, then ``cancelled``); the batch records what was
        done and the rows left. Cancelling again changes nothing; a job that is over refuses."""
        if self.status(job_id).get("kind") == "bulk":
            raise NotFound("import", job_id)
        changed = self.store.request_cancel(job_id, actor=actor)
        if changed is None:
            job = self.status(job_id)
            if job["state"] != "cancelled":
                raise JobOver("import", job_id, job["state"])
            return job
        before, after = changed
        if after["state"] == "cancelled" and before != "planning":
            self.runner.cancelled(job_id, actor=actor)
        return self.status(job_id)

    def _start(self, work: Any, wait: bool) -> None:
        if wait:
            work()
            return
        thread = threading.Thread(target=work, name="import", daemon=True)
        self.threads.append(thread)
        thread.start()

    def status(self, job_id: UUID) -> dict[str, Any]:
        """The job as stored, with its progress: rate (rows/s) and ETA (s) while it runs."""
        job = self.store.job(job_id)
        if job is None:
            raise NotFound("import", job_id)
        total, done, rate = job.get("total") or 0, job.get("done") or 0, job.get("rate") or 0.0
        job["eta_s"] = round((total - done) / rate, 1) if job["state"] == "running" and rate > 0 else None
        return job

    def rows_kept(self, job_id: UUID) -> dict[str, Any]:
        """The job, if its rows are still kept (``import_retention_days``)."""
        job = self.status(job_id)
        if job.get("purged_at"):
            raise NotFound("rows (deleted at the end of the retention period) of import", job_id)
        return job

    def report(
        self, job_id: UUID, *, after_line: int, limit: int, outcome: str | None, exclude: str | None = None
    ) -> list[dict[str, Any]]:
        """Each row's verdict (and, once confirmed, its result), in line order."""
        self.rows_kept(job_id)
        rows = self.store.rows(job_id, after_line=after_line, limit=limit, outcome=outcome, exclude=exclude)
        return [{**plan, "result": result} for _, plan, _, result in rows]

    def rejected_csv(self, job_id: UUID) -> Iterator[str]:
        """The rejected rows as they were read, with a ``reason`` column, to fix and import again."""
        job = self.rows_kept(job_id)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([*job.get("headers", []), "line", "reason"])
        after = 0
        while True:
            rows = self.store.rows(job_id, after_line=after, limit=PAGE, outcome="rejected")
            if not rows:
                break
            for line, plan, cells, _ in rows:
                writer.writerow([*cells, line, f"{plan.get('field')}: {plan.get('reason')}"])
            after = rows[-1][0]
            yield out.getvalue()
            out.seek(0)
            out.truncate()
        yield out.getvalue()

    @staticmethod
    def template() -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(template_headers())
        writer.writerow(template_example())
        return out.getvalue()

    def save_mapping(self, name: str, mapping: dict[str, str], *, by: str) -> None:
        self.store.save_mapping(name, mapping, by=by)

    def mapping(self, name: str) -> dict[str, str]:
        found = self.store.mapping(name)
        if found is None:
            raise NotFound("saved mapping", repr(name))
        return found
