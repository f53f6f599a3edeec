"""Lead commands and list queries."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status

from api.deps import EngineDep, MetaDep, ServiceDep
from api.models import CommandAccepted, LeadCreate, LeadPage, LeadPublic
from domain.errors import NotFound
from domain.values import LeadDetails, LeadStatus
from projections.lead_list import LeadList

router = APIRouter(prefix="/leads", tags=["leads"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CommandAccepted)
def create_lead(body: LeadCreate, service: ServiceDep, meta: MetaDep) -> CommandAccepted:
    details = LeadDetails.model_validate(body.model_dump())
    result = service.capture_lead(details=details, meta=meta)
    return CommandAccepted(lead_id=result.lead_id, version=result.version, position=result.position)


@router.get("", response_model=LeadPage)
def list_leads(
    engine: EngineDep,
    status: LeadStatus | None = None,
    owner: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> LeadPage:
    with engine.db.cursor() as cur:
        rows = LeadList(schema=engine.settings.read_schema).list(cur, status=status, owner=owner, limit=limit)
    return LeadPage(items=[LeadPublic.model_validate(r) for r in rows])


@router.get("/{lead_id}", response_model=LeadPublic)
def get_lead(lead_id: UUID, engine: EngineDep) -> LeadPublic:
    with engine.db.cursor() as cur:
        row = LeadList(schema=engine.settings.read_schema).get(cur, lead_id)
    if row is None:
        raise NotFound("lead", lead_id)
    return LeadPublic.model_validate(row)
