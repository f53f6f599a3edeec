"""Mass actions as jobs: the selection is stored first (so the job's total is known), then each
lead is acted on in turn (``domain.bulk``) and its result stored, chunk by chunk, with the
job's progress (done, rate, ETA). Jobs and results live in the same store as imports."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any
from uuid import UUID, uuid4

from consumers.ports import ImportStore
from domain.bulk import BulkRequest, Check, outcome_of
from domain.errors import JobOver, NotFound
from domain.service import LeadService
from domain.values import Channel, EventMeta

log = logging.getLogger(__name__)
CHUNK = 200


class BulkJobs:
    def __init__(self, *, service: LeadService, store: ImportStore) -> None:
        self.service = service
        self.store = store
        self.threads: list[threading.Thread] = []

    def start(
        self,
        *,
        request: BulkRequest,
        lead_ids: Sequence[UUID],
        user: str,
        key: str | None,
        check: Check,
        wait: bool = False,
    ) -> UUID:
        """Store the selection and act on it in the background. ``key`` (the caller's
        idempotency key) makes every lead's command repeatable: the same key, one effect."""
        job_id = uuid4()
        self.store.create_job(
            job_id,
            {
                "kind": "bulk",
                "state": "running",
                "actor": user,
                "request": request.model_dump(mode="json"),
                "total": len(lead_ids),
                "done": 0,
            },
        )
        for start in range(0, len(lead_ids), 5000):
            chunk = lead_ids[start : start + 5000]
            self.store.add_rows(
                job_id,
                [(start + i + 1, {"lead_id": str(x), "outcome": "pending"}, []) for i, x in enumerate(chunk)],
            )
        meta = EventMeta(
            actor=user, channel=Channel.API, command_id=f"bulk/{key or job_id}", correlation_id=f"bulk:{job_id}"
        )

        def run() -> None:
            began, done = time.monotonic(), 0
            try:
                for start in range(0, len(lead_ids), CHUNK):
                    if self.store.cancel_requested(job_id):
                        self._cancelled(job_id)
                        return
                    chunk = lead_ids[start : start + CHUNK]
                    results = [
                        (start + i + 1, outcome_of(self.service, request, x, user=user, meta=meta, check=check))
                        for i, x in enumerate(chunk)
                    ]
                    self.store.set_results(job_id, results)
                    done += len(chunk)
                    self.store.update_job(job_id, {"done": done, "rate": done / max(time.monotonic() - began, 1e-6)})
                self.store.update_job(job_id, {"state": "finished", "results": self.store.result_counts(job_id)})
            except Exception as e:
                log.exception("bulk job %s interrupted", job_id)
                self.store.update_job(job_id, {"state": "interrupted", "error": f"{type(e).__name__}: {e}"})

        if wait:
            run()
        else:
            thread = threading.Thread(target=run, name="bulk", daemon=True)
            self.threads.append(thread)
            thread.start()
        return job_id

    def cancel(self, job_id: UUID, *, actor: str) -> dict[str, Any]:
        """Stop the job between two chunks (at once if its process stopped); the leads acted on
        keep their results, the rest are counted ``not_run``. Cancelling again changes nothing;
        a job that is over refuses."""
        self.status(job_id, limit=0)
        changed = self.store.request_cancel(job_id, actor=actor)
        if changed is None:
            job = self.status(job_id, limit=0)
            if job["state"] != "cancelled":
                raise JobOver("bulk action", job_id, job["state"])
            return job
        if changed[1]["state"] == "cancelled":
            self._cancelled(job_id)
        return self.status(job_id, limit=0)

    def _cancelled(self, job_id: UUID) -> None:
        counts = self.store.result_counts(job_id)
        job = self.store.job(job_id) or {}
        counts["not_run"] = max(0, int(job.get("total") or 0) - sum(counts.values()))
        self.store.update_job(job_id, {"state": "cancelled", "results": counts, "cancelled_at": "now()"})

    def status(self, job_id: UUID, *, after: int = 0, limit: int = 1000) -> dict[str, Any]:
        """The job, its progress, and a page of per-lead results (in selection order)."""
        job = self.store.job(job_id)
        if job is None or job.get("kind") != "bulk":
            raise NotFound("bulk action", job_id)
        total, done, rate = job.get("total") or 0, job.get("done") or 0, job.get("rate") or 0.0
        job["eta_s"] = round((total - done) / rate, 1) if job["state"] == "running" and rate > 0 else None
        rows = self.store.rows(job_id, after_line=after, limit=limit)
        job["results_page"] = [
            {"n": n, **(result or {"lead_id": plan["lead_id"], "result": "pending"})} for n, plan, _, result in rows
        ]
        return job
