"""Mass actions over HTTP: one action on the leads named, or on every lead a filter selects, as
a job. Each lead is checked against the caller's permissions as it is now and gets its own
result (done, or refused with the reason), so a selection reaching past the caller's scope acts
on what it may and says which it may not."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field, model_validator

from api.auth import Action as A
from api.auth import permission
from api.context import Bulk
from api.deps import BackendDep, MetaDep, PrincipalDep
from api.query_models import LeadFilters
from domain import limits
from domain.bulk import BulkRequest
from domain.errors import InvalidCommand, NotFound

router = APIRouter(prefix="/leads/bulk", tags=["lead commands"])
PAGE = 500


class BulkBody(BulkRequest):
    lead_ids: list[UUID] | None = Field(default=None, description="The leads, or else `filter`")
    filter: LeadFilters | None = Field(default=None, description="Every lead these filters select")

    @model_validator(mode="after")
    def _one_selection(self) -> BulkBody:
        if (self.lead_ids is None) == (self.filter is None):
            raise ValueError("name lead_ids or a filter (one of them)")
        return self


class BulkJob(BaseModel):
    job_id: UUID
    state: str = Field(description="running, finished, interrupted, cancelling or cancelled")
    total: int
    done: int
    rate: float | None = None
    eta_s: float | None = None
    results: dict[str, int] | None = Field(default=None, description="How many leads were done and refused")
    error: str | None = None
    leads: list[dict[str, Any]] = Field(default_factory=list, description="A page of per-lead results")


def bulk_of(backend: BackendDep) -> Bulk:
    if backend.bulk is None:
        raise NotFound("mass actions", "in this process")
    return backend.bulk


def as_job(job_id: UUID, found: dict[str, Any]) -> BulkJob:
    return BulkJob.model_validate(found | {"job_id": job_id, "leads": found.get("results_page", [])})


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=BulkJob, **permission(A.EDIT))
def start(body: BulkBody, backend: BackendDep, principal: PrincipalDep, meta: MetaDep) -> BulkJob:
    """Start a mass action; poll `GET /leads/bulk/{job_id}`. Repeating it with the same
    `Idempotency-Key` does nothing twice."""
    most = limits.current().bulk_items
    if body.lead_ids is not None:
        ids = list(dict.fromkeys(body.lead_ids))
    else:
        assert body.filter is not None
        ids, cursor = [], None
        while True:
            page = backend.queries.find_leads(
                body.filter.to_filter(), sort="created_at", descending=False, cursor=cursor, limit=PAGE
            )
            ids += [row["lead_id"] for row in page.rows]
            cursor = page.next_cursor
            if cursor is None or len(ids) > most:
                break
    if len(ids) > most:
        raise InvalidCommand(f"the selection has more than {most} leads (bulk_items)", field="lead_ids")
    bulk = bulk_of(backend)
    request = BulkRequest.model_validate(body.model_dump(include=set(BulkRequest.model_fields)))
    job_id = bulk.start(
        request=request, lead_ids=ids, user=principal.user, key=meta.command_id, check=principal.require_lead
    )
    return as_job(job_id, bulk.status(job_id, limit=0))


@router.get("/{job_id:uuid}", response_model=BulkJob, **permission(A.EDIT))
def job(
    job_id: UUID,
    backend: BackendDep,
    principal: PrincipalDep,
    after: Annotated[int, Query(ge=0, le=2**31 - 1, description="Results after this position")] = 0,
    limit: Annotated[int, Query(ge=0, le=1000)] = 100,
) -> BulkJob:
    found = bulk_of(backend).status(job_id, after=after, limit=limit)
    if found["actor"] != principal.user and principal.scope(A.VIEW) is not None:
        raise NotFound("bulk action", job_id)
    return as_job(job_id, found)


@router.post("/{job_id:uuid}/cancel", response_model=BulkJob, **permission(A.EDIT))
def cancel(job_id: UUID, backend: BackendDep, principal: PrincipalDep) -> BulkJob:
    """Stop the mass action between two chunks of leads (``cancelling``, then ``cancelled``);
    the leads acted on keep their results, the rest count as ``not_run``. Cancelling again
    changes nothing; a finished job refuses (409)."""
    bulk = bulk_of(backend)
    found = bulk.status(job_id, limit=0)
    if found["actor"] != principal.user and principal.scope(A.VIEW) is not None:
        raise NotFound("bulk action", job_id)
    return as_job(job_id, bulk.cancel(job_id, actor=principal.user))


@router.post(
    "/{job_id:uuid}/resume", status_code=status.HTTP_202_ACCEPTED, response_model=BulkJob, **permission(A.EDIT)
)
def resume(job_id: UUID, backend: BackendDep, principal: PrincipalDep) -> BulkJob:
    """Carry on a mass action whose process stopped (``interrupted``, or ``running`` without
    progress for 5 minutes) with the leads it had not reached; a lead it acted on already is not
    acted on twice. Only its starter resumes it (422 if it is not stopped)."""
    return as_job(job_id, bulk_of(backend).resume(job_id, actor=principal.user, check=principal.require_lead))
