"""Export any lead list (filters, a system or saved view, search, sort) as CSV or XLSX, with the
columns chosen. Only the leads the caller may export are in it (the permission table's export
scope), erased fields read as erased (the list's own projection forgets them), and every export
is recorded: who, the query and columns, how many rows."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Annotated, Any, Literal
from uuid import uuid4

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import Field, field_validator

from api.auth import Action as A
from api.auth import permission
from api.deps import BackendDep, PrincipalDep
from api.export_files import COLUMNS, DEFAULT_COLUMNS, csv_stream, xlsx_stream
from api.query_models import ListQuery
from api.routes.leads import list_filter
from domain import limits
from domain.picklists import Channel
from domain.values import EventMeta

router = APIRouter(prefix="/leads", tags=["leads"])
log = logging.getLogger(__name__)
PAGE = 500
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ExportQuery(ListQuery):
    format: Literal["csv", "xlsx"] = "csv"
    columns: str | None = Field(
        default=None,
        max_length=2000,
        description=f"Comma-separated, in order; of: {', '.join(COLUMNS)} (default: all)",
    )

    @field_validator("columns")
    @classmethod
    def _known(cls, value: str | None) -> str | None:
        if value is not None:
            unknown = [c for c in value.split(",") if c.strip() not in COLUMNS]
            if unknown:
                raise ValueError(f"unknown columns {', '.join(unknown)}; one of: {', '.join(COLUMNS)}")
        return value

    def chosen(self) -> tuple[str, ...]:
        if not self.columns:
            return DEFAULT_COLUMNS
        return tuple(dict.fromkeys(c.strip() for c in self.columns.split(",")))


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}, XLSX: {}}, "description": "The list as a file"}},
    **permission(A.EXPORT),
)
def export(backend: BackendDep, principal: PrincipalDep, query: Annotated[ExportQuery, Query()]) -> StreamingResponse:
    """The list `GET /leads` would page through with these parameters, whole, as one file
    (``cursor`` and ``limit`` are ignored; at most ``LEADS_LIMITS__EXPORT_ROWS`` rows)."""
    base, sort, descending = list_filter(query, principal, backend.queries, A.EXPORT)
    columns = query.chosen()
    export_id = uuid4()
    most = limits.current().export_rows
    what = query.model_dump(mode="json", exclude={"cursor", "limit", "columns", "format"}, exclude_defaults=True)

    def rows() -> Iterator[dict[str, Any]]:
        sent, cursor, complete = 0, None, False
        try:
            while sent < most:
                page = backend.queries.find_leads(
                    base, sort=sort, descending=descending, cursor=cursor, limit=min(PAGE, most - sent)
                )
                for row in page.rows:
                    sent += 1
                    yield row
                cursor = page.next_cursor
                if cursor is None:
                    complete = True
                    break
        finally:
            backend.service.record_export(
                export_id=export_id,
                query=what,
                columns=columns,
                file_format=query.format,
                rows=sent,
                complete=complete,
                meta=EventMeta(actor=principal.user, channel=Channel.API, correlation_id=f"export:{export_id}"),
            )
            log.info("export %s by %s: %d rows (%s)", export_id, principal.user, sent, what)

    name = f"leads-{export_id}.{query.format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "X-Export-Id": str(export_id)}
    if query.format == "xlsx":
        return StreamingResponse(xlsx_stream(rows(), columns), media_type=XLSX, headers=headers)
    return StreamingResponse(csv_stream(rows(), columns), media_type="text/csv; charset=utf-8", headers=headers)
