"""Compliance export: every lead event in a time range, streamed as JSON Lines."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from functools import partial
from typing import Annotated
from uuid import UUID

import orjson
from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from api.auth import Action as A
from api.auth import permission
from api.deps import BackendDep, Moment, PrincipalDep, as_utc
from domain.ports import EventLog

router = APIRouter(prefix="/audit", tags=["audit"])
PAGE = 1000


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}, "description": "One event per line"}},
    **permission(A.EXPORT),
)
def export(
    backend: BackendDep,
    principal: PrincipalDep,
    since: Annotated[Moment | None, Query(description="Events at or after this instant (UTC if no offset)")] = None,
    until: Annotated[Moment | None, Query(description="Events before this instant (UTC if no offset)")] = None,
) -> StreamingResponse:
    """Every event of the leads the caller may export (all, or a manager's team's), in log order."""
    scope = principal.scope(A.EXPORT)
    visible = None if scope is None else partial(backend.queries.leads_in_scope, scope=scope)
    return StreamingResponse(lines(backend.event_log, since, until, visible), media_type="application/x-ndjson")


def lines(
    log: EventLog,
    since: datetime | None,
    until: datetime | None,
    visible: Callable[[set[UUID]], set[UUID]] | None = None,
) -> Iterator[bytes]:
    """Pages through the log, so memory stays flat however long the history is. ``visible``
    narrows a page's leads to those in the caller's scope."""
    since = as_utc(since) if since else None
    until = as_utc(until) if until else None
    start = 1
    while True:
        events, last = log.read(start=start, limit=PAGE)
        if last is None:
            return
        shown = visible({e.lead_id for e in events}) if visible else None
        for e in events:
            if shown is not None and e.lead_id not in shown:
                continue
            if (since is None or e.time >= since) and (until is None or e.time < until):
                yield (
                    orjson.dumps(
                        {
                            "lead_id": str(e.lead_id),
                            "version": e.version,
                            "type": e.type,
                            "time": e.time.isoformat(),
                            "position": e.notification_id,
                            "payload": e.payload,
                        }
                    )
                    + b"\n"
                )
        start = last + 1
