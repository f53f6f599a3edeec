"""Erasure of a lead's personal data on request (the right to erasure), for admins.

The events stay (the audit trail keeps who did what and when), but their personal fields can
no longer be read: the lead's key is destroyed. Read models forget the data as the erasure
event reaches them, and attachment contents no other lead refers to are deleted.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Action as A
from api.auth import permission
from api.deps import BackendDep, CommandDep
from api.models import CommandAccepted
from api.routes.commands import accepted
from domain.erasure import erase_lead

router = APIRouter(prefix="/leads/{lead_id:uuid}", tags=["compliance"])


class ErasureBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request: str | None = Field(
        default=None,
        max_length=200,
        examples=["DSR-2026-0042"],
        description="The erasure request's reference (kept in the audit trail, so not personal data itself)",
    )


@router.post("/erase", response_model=CommandAccepted, **permission(A.ERASE))
def erase(lead_id: UUID, body: ErasureBody, cmd: CommandDep, backend: BackendDep) -> CommandAccepted:
    """Erase the lead's personal data (and the contact its conversion created). Repeating it
    is harmless. Afterwards the lead accepts no changes (409 ``lead-erased``)."""
    return accepted(
        cmd.on_lead(
            lead_id,
            A.ERASE,
            lambda s, meta, v: erase_lead(
                service=s,
                keys=backend.keys,
                blobs=backend.blobs,
                lead_id=lead_id,
                meta=meta,
                request=body.request,
                expected_version=v,
                imports=backend.import_cells,
            ),
        )
    )
