"""Imports over HTTP, as jobs: upload a file (its dry run starts), watch the job (counts, rate,
ETA, every row's verdict), confirm it, and download the rejected rows to fix and import again.

A job is seen by whoever started it and by those who see every lead. Confirming checks, per
row, that the caller may change each existing lead it updates (edit) or merges into (archive).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import orjson
from fastapi import APIRouter, File, Form, Query, UploadFile, status
from fastapi import Path as PathParam
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field

from api.auth import Action as A
from api.auth import permission
from api.body_limits import PayloadTooLarge
from api.context import Imports
from api.deps import BackendDep, PrincipalDep
from domain import limits
from domain.access import Principal
from domain.errors import InvalidCommand, NotFound
from domain.import_mapping import check_field
from domain.import_plan import DuplicatePolicy
from domain.limits import Name

router = APIRouter(prefix="/imports", tags=["imports"])
CHUNK = 1024 * 1024


class ImportRow(BaseModel):
    line: int
    outcome: str = Field(description="created, rejected, duplicate, or imported (this file's row, before)")
    action: str = Field(description="What the confirm does: create, update, merge, skip or none")
    field: str | None = None
    reason: str | None = None
    candidates: list[dict[str, Any]] = Field(default_factory=list)
    target: UUID | None = None
    changes: dict[str, Any] | None = None
    result: dict[str, Any] | None = Field(default=None, description="What the confirm did (once confirmed)")


class ImportJob(BaseModel):
    import_id: UUID
    state: str = Field(
        description="planning, planned, refused, confirmed, running, interrupted, finished, cancelling or cancelled"
    )
    actor: str
    file_name: str
    policy: str
    file_hash: str | None = None
    format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    mapping: dict[str, str] = Field(default_factory=dict)
    unmapped: list[str] = Field(default_factory=list)
    counts: dict[str, int] = Field(default_factory=dict, description="The dry run's verdicts")
    results: dict[str, int] | None = Field(default=None, description="What the confirm did")
    total: int | None = None
    read: int | None = Field(default=None, description="Rows read so far by the dry run")
    done: int | None = Field(default=None, description="Rows carried out so far by the confirm")
    rate: float | None = Field(default=None, description="Rows per second")
    eta_s: float | None = None
    error: str | None = None
    cancelled_by: str | None = None
    purged_at: datetime | None = Field(default=None, description="When its rows were deleted (retention)")
    rows: list[ImportRow] = Field(default_factory=list, description="A page of the rows (see after_line, limit)")


class SavedMapping(BaseModel):
    mapping: dict[Name, Annotated[str, Field(max_length=100)]] = Field(
        description="{header: field}; field '' ignores the column", max_length=500
    )


def imports_of(backend: BackendDep) -> Imports:
    if backend.imports is None:
        raise NotFound("imports", "in this process")
    return backend.imports


def visible(imports: Imports, job_id: UUID, principal: Principal) -> dict[str, Any]:
    job = imports.status(job_id)
    if job["actor"] != principal.user and principal.scope(A.VIEW) is not None:
        raise NotFound("import", job_id)
    return job


@router.get(
    "/template",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The template"}},
    **permission(A.CREATE),
)
def template(backend: BackendDep) -> Response:
    """A CSV with every column an import reads and an example row."""
    return Response(
        imports_of(backend).template(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="leads-template.csv"'},
    )


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=ImportJob, **permission(A.CREATE))
async def upload(
    backend: BackendDep,
    principal: PrincipalDep,
    file: Annotated[UploadFile, File(description="A CSV (any common encoding and delimiter) or XLSX file")],
    policy: Annotated[DuplicatePolicy, Form(description="For rows that look like existing leads")] = (
        DuplicatePolicy.SKIP
    ),
    mapping: Annotated[str | None, Form(description='JSON {"header": "field"} overriding the automatic mapping')] = (
        None
    ),
    saved_mapping: Annotated[
        str | None, Form(max_length=64, description="A saved mapping's name (mapping adds to it)")
    ] = None,
) -> ImportJob:
    """Upload a file: its dry run starts at once; poll the job for its verdicts, then confirm."""
    imports = imports_of(backend)
    overrides = dict(imports.mapping(saved_mapping)) if saved_mapping else {}
    if mapping:
        try:
            given = orjson.loads(mapping)
        except orjson.JSONDecodeError:
            raise InvalidCommand("mapping must be a JSON object of header: field", field="mapping") from None
        if not isinstance(given, dict) or not all(isinstance(v, str) for v in given.values()):
            raise InvalidCommand("mapping must be a JSON object of header: field", field="mapping")
        overrides |= given
    for header, field in overrides.items():
        check_field(field, header=header)
    limit = limits.current().import_bytes
    with tempfile.NamedTemporaryFile(prefix="leads-import-", delete=False) as spool:
        size = 0
        while chunk := await file.read(CHUNK):
            size += len(chunk)
            if size > limit:
                Path(spool.name).unlink(missing_ok=True)
                raise PayloadTooLarge("a file to import", limit)
            spool.write(chunk)
    job_id = imports.start(
        path=Path(spool.name),
        file_name=(file.filename or "upload")[:200],
        actor=principal.user,
        policy=policy,
        overrides=overrides,
    )
    return ImportJob.model_validate(imports.status(job_id) | {"import_id": job_id})


@router.get("/{import_id:uuid}", response_model=ImportJob, **permission(A.CREATE))
def job(
    import_id: UUID,
    backend: BackendDep,
    principal: PrincipalDep,
    after_line: Annotated[int, Query(ge=0, le=2**31 - 1, description="Rows after this line")] = 0,
    limit: Annotated[int, Query(ge=0, le=1000, description="How many rows")] = 100,
    outcome: Annotated[str | None, Query(pattern="^(created|rejected|duplicate|imported)$")] = None,
) -> ImportJob:
    """The job: state, counts, progress (rate, ETA) and a page of the rows' verdicts and results."""
    imports = imports_of(backend)
    found = visible(imports, import_id, principal)
    rows = imports.report(import_id, after_line=after_line, limit=limit, outcome=outcome) if limit else []
    return ImportJob.model_validate(found | {"import_id": import_id, "rows": rows})


@router.post(
    "/{import_id:uuid}/confirm", status_code=status.HTTP_202_ACCEPTED, response_model=ImportJob, **permission(A.CREATE)
)
def confirm(import_id: UUID, backend: BackendDep, principal: PrincipalDep) -> ImportJob:
    """Carry out exactly what the dry run showed (in the background; poll the job)."""
    imports = imports_of(backend)
    visible(imports, import_id, principal)
    found = imports.confirm(import_id, actor=principal.user, check=principal.require_lead)
    return ImportJob.model_validate(found | {"import_id": import_id})


@router.post("/{import_id:uuid}/cancel", response_model=ImportJob, **permission(A.CREATE))
def cancel(import_id: UUID, backend: BackendDep, principal: PrincipalDep) -> ImportJob:
    """Stop the import: at once if it waits (planned, interrupted), else between two chunks of
    rows (``cancelling``, then ``cancelled``); its results say what was done and how many rows
    were not (``not_run``). Cancelling again changes nothing; a finished import refuses (409)."""
    imports = imports_of(backend)
    visible(imports, import_id, principal)
    found = imports.cancel(import_id, actor=principal.user)
    return ImportJob.model_validate(found | {"import_id": import_id})


@router.get(
    "/{import_id:uuid}/rejected.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "The rejected rows with a reason column"}},
    **permission(A.CREATE),
)
def rejected(import_id: UUID, backend: BackendDep, principal: PrincipalDep) -> StreamingResponse:
    """The rejected rows as read, plus their line and reason: fix them and import this file."""
    imports = imports_of(backend)
    visible(imports, import_id, principal)
    chunks: Iterator[str] = imports.rejected_csv(import_id)
    return StreamingResponse(
        chunks,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="rejected-{import_id}.csv"'},
    )


MappingName = Annotated[str, PathParam(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]


@router.put("/mappings/{name}", status_code=status.HTTP_204_NO_CONTENT, **permission(A.CREATE))
def save_mapping(name: MappingName, body: SavedMapping, backend: BackendDep, principal: PrincipalDep) -> None:
    """Save a mapping for files of one shape, to name at upload (``saved_mapping``)."""
    for header, field in body.mapping.items():
        check_field(field, header=header)
    imports_of(backend).save_mapping(name, dict(body.mapping), by=principal.user)
