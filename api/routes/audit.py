"""Compliance export: every lead event in a time range, streamed as JSON Lines."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

import orjson
from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from api.auth import Permission as P
from api.deps import BackendDep, Moment, PrincipalDep, as_utc
from domain.ports import EventLog

router = APIRouter(prefix="/audit", tags=["audit"])
PAGE = 1000


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}, "description": "One event per line"}},
)
def export(
    backend: BackendDep,
    principal: PrincipalDep,
    since: Annotated[Moment | None, Query(description="Events at or after this instant (UTC if no offset)")] = None,
    until: Annotated[Moment | None, Query(description="Events before this instant (UTC if no offset)")] = None,
) -> StreamingResponse:
    principal.require(P.EXPORT)
    return StreamingResponse(lines(backend.event_log, since, until), media_type="application/x-ndjson")


def lines(log: EventLog, since: datetime | None, until: datetime | None) -> Iterator[bytes]:
    """Pages through the log, so memory stays flat however long the history is."""
    since = as_utc(since) if since else None
    until = as_utc(until) if until else None
    start = 1
    while True:
        events, last = log.read(start=start, limit=PAGE)
        if last is None:
            return
        for e in events:
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
