"""Mass actions as jobs: the selection is stored first (so the job's total is known), then each
lead is acted on in turn (``domain.bulk``) and its result stored, chunk by chunk, with the
job's progress (done, rate, ETA). Jobs and results live in the same store as imports; a job
whose process stopped is resumed from its stored selection, as an import's confirm is."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any
from uuid import UUID, uuid4

from consumers.ports import ImportStore
from domain.bulk import BulkRequest, Check, outcome_of
from domain.errors import InvalidCommand, JobOver, NotFound
from domain.picklists import Channel
from domain.service import LeadService
from domain.values import EventMeta

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
        meta = EventMeta(
            actor=user, channel=Channel.API, command_id=f"bulk/{key or job_id}", correlation_id=f"bulk:{job_id}"
        )
        self.store.create_job(
            job_id,
            {
                "kind": "bulk",
                "state": "running",
                "actor": user,
                "request": request.model_dump(mode="json"),
                "command_id": meta.command_id,
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
        self._start(job_id, request, meta, check, wait)
        return job_id

    def resume(self, job_id: UUID, *, actor: str, check: Check, wait: bool = False) -> dict[str, Any]:
        """Carry on a job whose process stopped (``interrupted``, or ``running`` without moving
        for a while) with the leads that have no result yet, each with the command id it had: a
        lead acted on just before the stop is not acted on twice. Only its starter resumes it,
        with their permissions as they are now."""
        job = self.status(job_id, limit=0)
        if job["actor"] != actor:
            raise NotFound("bulk action", job_id)
        if not self.store.claim_confirm(job_id, actor=actor):
            raise InvalidCommand(f"the mass action is {job['state']}; an interrupted one can be resumed", field="state")
        self.store.update_job(job_id, {"state": "running", "resumed_at": "now()"})
        request = BulkRequest.model_validate(job["request"])
        meta = EventMeta(
            actor=actor,
            channel=Channel.API,
            command_id=job.get("command_id") or f"bulk/{job_id}",
            correlation_id=f"bulk:{job_id}",
        )
        self._start(job_id, request, meta, check, wait)
        return self.status(job_id, limit=0)

    def _start(self, job_id: UUID, request: BulkRequest, meta: EventMeta, check: Check, wait: bool) -> None:
        if wait:
            self._run(job_id, request, meta, check)
            return
        thread = threading.Thread(target=self._run, args=(job_id, request, meta, check), name="bulk", daemon=True)
        self.threads.append(thread)
        thread.start()

    def _run(self, job_id: UUID, request: BulkRequest, meta: EventMeta, check: Check) -> None:
        """Act on each stored lead without a result, chunk by chunk, storing the results."""
        began, ran, after = time.monotonic(), 0, 0
        before = sum(self.store.result_counts(job_id).values())
        try:
            while True:
                if self.store.cancel_requested(job_id):
                    self._cancelled(job_id)
                    return
                rows = self.store.rows(job_id, after_line=after, limit=CHUNK)
                if not rows:
                    break
                after = rows[-1][0]
                todo = [(n, UUID(plan["lead_id"])) for n, plan, _, result in rows if result is None]
                results = [
                    (n, outcome_of(self.service, request, x, user=meta.actor, meta=meta, check=check)) for n, x in todo
                ]
                self.store.set_results(job_id, results)
                ran += len(results)
                rate = ran / max(time.monotonic() - began, 1e-6)
                self.store.update_job(job_id, {"done": before + ran, "rate": rate})
            self.store.update_job(job_id, {"state": "finished", "results": self.store.result_counts(job_id)})
        except Exception as e:
            log.exception("bulk job %s interrupted", job_id)
            self.store.update_job(job_id, {"state": "interrupted", "error": f"{type(e).__name__}: {e}"})

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
