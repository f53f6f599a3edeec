"""Compliance export: every lead event in a time range (and every account, contact and
opportunity event: ``record`` says whose, ``lead_id`` is then that record's id), streamed as JSON Lines, each with its
link of the hash chain (``domain.contract.chain``) so a reviewer can check it offline
(docs/audit.md shows how)."""

from __future__ import annotations

import base64
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
from domain.contract.chain import ALGORITHM
from domain.ports import ChainLinks, EventLog

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
    """Every event of the leads, accounts, contacts and opportunities the caller may export (all,
    or those of a manager's team: the leads it owns, created or follows, the records it acted on),
    in log order."""
    scope = principal.scope(A.EXPORT)
    visible = None if scope is None else partial(backend.queries.records_in_scope, scope=scope)
    return StreamingResponse(
        lines(backend.event_log, since, until, visible, chain=backend.chain),
        media_type="application/x-ndjson",
        headers={"X-Chain-Algorithm": ALGORITHM},
    )


def lines(
    log: EventLog,
    since: datetime | None,
    until: datetime | None,
    visible: Callable[[set[UUID]], set[UUID]] | None = None,
    *,
    chain: ChainLinks | None = None,
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
        chosen = [
            e
            for e in events
            if (shown is None or e.lead_id in shown)
            and (since is None or e.time >= since)
            and (until is None or e.time < until)
        ]
        links = chain.entries((e.lead_id, e.version) for e in chosen) if chain is not None and chosen else {}
        for e in chosen:
            line = {
                "record": e.stream,
                "lead_id": str(e.lead_id),
                "version": e.version,
                "type": e.type,
                "time": e.time.isoformat(),
                "position": e.notification_id,
                "payload": e.payload,
            }
            if chain is not None:
                line["chain"] = _link(links.get((e.lead_id, e.version)))
            yield orjson.dumps(line) + b"\n"
        start = last + 1


def _link(entry: tuple[bytes, bytes | None, bytes] | None) -> dict[str, str | None]:
    """The event's stored bytes (base64: JSON with personal fields sealed), the link before it and its own."""
    stored, link, previous = entry if entry is not None else (b"", None, b"")
    return {
        "algorithm": ALGORITHM,
        "previous": previous.hex(),
        "link": link.hex() if link is not None else None,
        "stored": base64.b64encode(stored).decode(),
    }
