"""The confirm of an import: carry out each stored row verdict exactly as the dry run showed it,
through the ordinary commands (capture with its duplicate claims and assignment rules, update,
merge), and record what happened to every row.

Rows go in chunks, each saved in one transaction (``LeadService.batch``, without looking up each
command id first: a row done before makes the save fail on its command record); a chunk that cannot be
saved whole (a row refused by the domain, a lost race) is carried out again row by row, so only
the row at fault fails, with its reason. Every row's command id is the file's hash and line, so
confirming again after an interruption, or importing the same file again, does nothing twice.
The batch's ``Finished`` event counts every outcome, failures included.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from consumers.import_planner import import_meta, row_command_id, row_lead_id
from consumers.ports import ImportStore
from domain.access import Action
from domain.duplicates import Candidate, IdentityKey, Screened, identity_keys
from domain.errors import DomainError, InvalidCommand
from domain.import_plan import Outcome, RowAction, RowPlan
from domain.lead import Lead
from domain.service import LeadService
from domain.values import EventMeta, LeadDetails

log = logging.getLogger(__name__)
CHUNK = 200

Check = Callable[[Action, Lead], None]
"""Raises if the caller may not do ``action`` to an existing lead (update: edit; merge: archive)."""


def allow_all(action: Action, lead: Lead) -> None:
    """The operator's own import from the command line."""


@dataclass(frozen=True)
class Capture:
    """A chunk's leads to capture (by line), and who holds their emails and phones now, read
    in one look-up: a lead whose dry run found no look-alike is still flagged if another lead
    took its email or phone since."""

    holders: dict[IdentityKey, UUID]
    leads: dict[int, LeadDetails]
    keys: dict[int, tuple[IdentityKey, ...]]
    meta: EventMeta
    """The chunk's events' meta but for each row's command id."""


class ImportRunner:
    def __init__(self, *, service: LeadService, store: ImportStore) -> None:
        self.service = service
        self.store = store

    def run(
        self, job_id: UUID, *, actor: str, check: Check = allow_all, progress: Callable[[int], None] | None = None
    ) -> dict[str, int]:
        job = self.store.job(job_id)
        if job is None:
            raise InvalidCommand(f"no import {job_id}", field="import_id")
        if job["state"] not in ("planned", "confirmed", "running", "interrupted"):
            raise InvalidCommand(f"the import is {job['state']}; only a planned import can be confirmed", field="state")
        self.service.start_import(import_id=job_id, meta=import_meta(actor=actor, job_id=job_id))
        began, done, after = time.monotonic(), 0, 0
        self.store.update_job(job_id, {"state": "running", "started_at": "now()"})
        try:
            while True:
                if self.store.cancel_requested(job_id):
                    return self.cancelled(job_id, actor=actor)
                rows = self.store.pending(job_id, after_line=after, limit=CHUNK)
                if not rows:
                    break
                after = rows[-1][0]
                todo = [(line, RowPlan.model_validate_json(plan)) for line, plan in rows if plan is not None]
                results = self._chunk(job_id, job["file_hash"], actor, todo, check)
                self.store.set_results(job_id, results)
                done += len(rows)
                elapsed = max(time.monotonic() - began, 1e-6)
                self.store.update_job(job_id, {"done": done, "rate": done / elapsed})
                if progress is not None:
                    progress(done)
        except Exception as e:
            self.store.update_job(job_id, {"state": "interrupted", "error": f"{type(e).__name__}: {e}"})
            raise
        counts = self.store.result_counts(job_id)
        self.service.finish_import(import_id=job_id, counts=counts, meta=import_meta(actor=actor, job_id=job_id))
        self.store.update_job(job_id, {"state": "finished", "results": counts, "finished_at": "now()"})
        return counts

    def cancelled(self, job_id: UUID, *, actor: str) -> dict[str, int]:
        """Stop here: the batch records what was done and how many rows were left (``not_run``)."""
        counts = self.store.result_counts(job_id)
        job = self.store.job(job_id) or {}
        counts["not_run"] = max(0, int(job.get("total") or 0) - sum(counts.values()))
        self.service.cancel_import(import_id=job_id, counts=counts, meta=import_meta(actor=actor, job_id=job_id))
        self.store.update_job(job_id, {"state": "cancelled", "results": counts, "cancelled_at": "now()"})
        return counts

    def _chunk(
        self, job_id: UUID, digest: str, actor: str, rows: list[tuple[int, RowPlan]], check: Check
    ) -> list[tuple[int, dict[str, Any]]]:
        leads = {line: LeadDetails.model_validate(plan.details) for line, plan in rows if plan.details is not None}
        keys = {line: identity_keys(details) for line, details in leads.items()}
        holders = self.service.claims.holders({k for found in keys.values() for k in found})
        capture = Capture(holders, leads, keys, import_meta(actor=actor, job_id=job_id))
        try:
            with self.service.batch(assume_new=True):
                return [(line, self._row(digest, plan, check, capture)) for line, plan in rows]
        except Exception as e:
            if not isinstance(e, DomainError):
                log.info("import %s: a chunk could not be saved whole (%s); row by row", job_id, e)
        results = []
        for line, plan in rows:
            try:
                results.append((line, self._row(digest, plan, check, capture)))
            except DomainError as e:
                results.append((line, {"result": "failed", "reason": f"{type(e).__name__}: {e}"}))
        return results

    def _row(self, digest: str, plan: RowPlan, check: Check, capture: Capture) -> dict[str, Any]:
        """Carry out one verdict; return its result (``result``, ``lead_id``, ``reason``)."""
        if plan.outcome is Outcome.REJECTED:
            return {"result": "rejected", "reason": f"{plan.field}: {plan.reason}"}
        if plan.outcome is Outcome.IMPORTED:
            return {"result": "imported_before", "lead_id": str(plan.target)}
        if plan.action is RowAction.SKIP:
            return {"result": "skipped", "reason": plan.reason}
        if plan.action is RowAction.NONE:
            return {"result": "unchanged", "lead_id": str(plan.target)}
        meta = capture.meta.model_copy(update={"command_id": row_command_id(digest, plan.line)})
        if plan.action is RowAction.UPDATE:
            assert plan.target is not None and plan.changes is not None
            check(Action.EDIT, self.service.get_lead(plan.target))
            self.service.update_details(lead_id=plan.target, changes=plan.changes, meta=meta)
            return {"result": "updated", "lead_id": str(plan.target)}
        if plan.action is RowAction.MERGE:
            assert plan.target is not None
            check(Action.ARCHIVE, self.service.get_lead(plan.target))
        details = capture.leads[plan.line]
        suspects = tuple(Candidate(c.lead_id, c.contact_name, c.matched_on) for c in plan.candidates)
        if not suspects:
            held = next(((k, capture.holders[k]) for k in capture.keys[plan.line] if k in capture.holders), None)
            suspects = (Candidate(held[1], "", (held[0].kind,)),) if held else ()
        created = self.service.capture_lead(
            details=details,
            meta=meta,
            lead_id=row_lead_id(digest, plan.line),
            screen=lambda d: Screened(d, suspects, claims_read=True),
        )
        if plan.action is RowAction.CREATE:
            return {"result": "created", "lead_id": str(created.lead_id)}
        assert plan.target is not None
        master = self.service.get_lead(plan.target).details.model_dump(mode="json")
        take = [f for f, v in details.model_dump(mode="json").items() if v not in (None, [], {}) and not master.get(f)]
        merge_meta = meta.model_copy(update={"command_id": row_command_id(digest, plan.line, "/merge")})
        self.service.merge(
            master_id=plan.target, duplicate_ids=[created.lead_id], take_fields={created.lead_id: take}, meta=merge_meta
        )
        return {"result": "merged", "lead_id": str(plan.target), "captured": str(created.lead_id)}
