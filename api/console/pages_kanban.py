"""The leads as a Kanban board: a column per status, each the list route's answer for the
same filters plus that status. The filters live in the same URL query as the list's, so
switching between list and board keeps them (a complaint about other CRMs)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.console.pages_list import context_of, filter_choices, list_params, run_list
from api.console.render import REFUSED, page, refusal
from api.console.session import SessionDep
from api.deps import BackendDep
from domain.picklists import LeadStatus

router = APIRouter(prefix="/ui", include_in_schema=False)

PER_COLUMN = 25
"""Cards shown per column; the column's link opens the full list of that status."""


@router.get("/kanban", response_class=HTMLResponse)
def kanban(request: Request, backend: BackendDep, principal: SessionDep) -> Response:
    filters = {k: v for k, v in list_params(request).items() if k not in ("cursor", "limit")}
    shown = [filters["status"]] if "status" in filters else [s.value for s in LeadStatus]
    columns: list[dict[str, Any]] = []
    error, status = None, 200
    for name in shown:
        params = filters | {"status": name, "limit": str(PER_COLUMN)}
        try:
            result = run_list(backend, principal, params)
        except REFUSED as e:
            status, error = refusal(e)
            break
        columns.append(
            {
                "status": name,
                "rows": result.items,
                "more": "/ui/leads?" + urlencode(filters | {"status": name}) if result.next else None,
                "context": context_of(filters | {"status": name}),
            }
        )
    return page(
        request,
        "kanban.html",
        principal,
        status=status,
        error=error,
        columns=columns,
        filters=filters,
        base_query=urlencode(filters),
        active="leads",
        **filter_choices(),
    )
