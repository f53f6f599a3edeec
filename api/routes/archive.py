"""Archive (undone by unarchive) and the admins' soft delete of one lead; both are events in
its history. Archived leads leave the default lists (``GET /leads?archived=true`` lists them);
deleted ones leave every list and accept nothing more but erasure."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from pydantic import Field

from api.auth import Action as A
from api.auth import permission
from api.command_models import Body
from api.deps import CommandDep
from api.models import CommandAccepted
from api.routes.commands import accepted
from domain.limits import LongText
from domain.values import NonBlankLong

router = APIRouter(prefix="/leads/{lead_id:uuid}", tags=["lead commands"])


class ArchiveBody(Body):
    reason: LongText | None = Field(default=None, examples=["Event list from 2019"])


class DeleteBody(Body):
    reason: NonBlankLong = Field(examples=["Test data entered by mistake"])


@router.post("/archive", response_model=CommandAccepted, **permission(A.ARCHIVE))
def archive(lead_id: UUID, body: ArchiveBody, cmd: CommandDep) -> CommandAccepted:
    return accepted(
        cmd.on_lead(
            lead_id,
            A.ARCHIVE,
            lambda s, meta, v: s.archive(lead_id=lead_id, reason=body.reason, meta=meta, expected_version=v),
        )
    )


@router.post("/unarchive", response_model=CommandAccepted, **permission(A.ARCHIVE))
def unarchive(lead_id: UUID, cmd: CommandDep) -> CommandAccepted:
    return accepted(
        cmd.on_lead(lead_id, A.ARCHIVE, lambda s, meta, v: s.unarchive(lead_id=lead_id, meta=meta, expected_version=v))
    )


@router.post("/delete", response_model=CommandAccepted, **permission(A.DELETE))
def delete(lead_id: UUID, body: DeleteBody, cmd: CommandDep) -> CommandAccepted:
    """Admins only. The history stays (``/history``); erasure is the path for personal data."""
    return accepted(
        cmd.on_lead(
            lead_id,
            A.DELETE,
            lambda s, meta, v: s.delete(lead_id=lead_id, reason=body.reason, meta=meta, expected_version=v),
        )
    )
