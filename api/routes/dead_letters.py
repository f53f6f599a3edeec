"""The intake dead-letter queue for admins (kafka mode): list with filters, read one record,
replay it once (optionally with a corrected payload) or discard it with a reason. Each action
lands in the DLQ's own audit with the caller as actor; the CLI (``leads dlq``) does the same."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Action as A
from api.auth import permission
from api.context import DeadLetterDesk
from api.deps import BackendDep, MetaDep, Moment
from domain.errors import NotFound
from domain.limits import HeaderText

router = APIRouter(tags=["dead letters"])
RecordPath = Annotated[str, Path(pattern=r"^\d{1,9}:\d{1,18}$", examples=["0:17"])]
Reason = Annotated[str, Field(min_length=1, max_length=2000, pattern=r"\S")]
Filter = Annotated[HeaderText | None, Query(max_length=200)]


class DeadLetterSummary(BaseModel):
    id: str
    status: Literal["open", "replayed", "discarded"]
    stage: str | None
    reason: str | None
    failed_at: str | None
    original: str
    ce_type: str | None
    ce_id: str | None
    ce_source: str | None
    replayed_from: str | None


class DeadLetterAction(BaseModel):
    record: str
    action: Literal["replayed", "discarded"]
    actor: str
    reason: str
    at: str
    corrected: bool
    ce_type: str | None
    ce_id: str | None


class DeadLetterRecord(DeadLetterSummary):
    key: str
    headers: dict[str, str]
    value: dict[str, str] = Field(description="The message value as received: `text`, or `base64` if not UTF-8")
    actions: list[DeadLetterAction]


class ReplayBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason = "cause fixed"
    payload: dict[str, Any] | None = Field(default=None, description="A corrected message value to send instead")


class DiscardBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


def desk(backend: Any) -> DeadLetterDesk:
    if backend.dead_letters is None:
        raise NotFound("dead-letter queue", "(the engine runs in embedded mode: no Kafka, no dead letters)")
    return backend.dead_letters


@router.get("/dead-letters", response_model=list[DeadLetterSummary], **permission(A.ADMINISTER))
def list_dead_letters(
    backend: BackendDep,
    status: Annotated[Literal["open", "replayed", "discarded"] | None, Query()] = None,
    stage: Annotated[Literal["limit", "parse", "validate", "domain", "error"] | None, Query()] = None,
    type: Filter = None,
    source: Filter = None,
    since: Annotated[Moment | None, Query()] = None,
    reason_contains: Filter = None,
) -> list[dict[str, Any]]:
    return desk(backend).listing(
        status=status, stage=stage, ce_type=type, source=source, since=since, text=reason_contains
    )


@router.get("/dead-letters/audit", response_model=list[DeadLetterAction], **permission(A.ADMINISTER))
def dead_letter_audit(backend: BackendDep) -> list[dict[str, Any]]:
    return desk(backend).actions(None)


@router.get("/dead-letters/{record}", response_model=DeadLetterRecord, **permission(A.ADMINISTER))
def get_dead_letter(record: RecordPath, backend: BackendDep) -> dict[str, Any]:
    return desk(backend).show(record)


@router.post("/dead-letters/{record}/replay", response_model=DeadLetterAction, **permission(A.ADMINISTER))
def replay_dead_letter(record: RecordPath, body: ReplayBody, backend: BackendDep, meta: MetaDep) -> dict[str, Any]:
    payload = orjson.dumps(body.payload) if body.payload is not None else None
    done = desk(backend).replay(record, actor=meta.actor, reason=body.reason, payload=payload)
    return desk(backend).actions(done)[-1]


@router.post("/dead-letters/{record}/discard", response_model=DeadLetterAction, **permission(A.ADMINISTER))
def discard_dead_letter(record: RecordPath, body: DiscardBody, backend: BackendDep, meta: MetaDep) -> dict[str, Any]:
    done = desk(backend).discard(record, actor=meta.actor, reason=body.reason)
    return desk(backend).actions(done)[-1]
