"""The inbox and home feed, the reports, and the operator's page. Each reads through the JSON
API's route functions (``/feed``, ``/notifications``, ``/reports/*``, ``/health``)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.console.pages_dead_letters import dead_letters
from api.console.render import REFUSED, page, refusal
from api.console.session import Csrf, SessionDep
from api.deps import BackendDep
from api.routes import feeds as feed_routes
from api.routes import reports as report_routes
from domain.access import Action

router = APIRouter(prefix="/ui", include_in_schema=False)


@router.get("/inbox", response_class=HTMLResponse)
def inbox(request: Request, backend: BackendDep, principal: SessionDep) -> Response:
    queries = backend.queries
    return page(
        request,
        "inbox.html",
        principal,
        notifications=feed_routes.inbox(queries, principal, request, Response(), unread=False, limit=100),
        feed=feed_routes.home_feed(queries, principal, request, Response(), limit=50),
    )


@router.post("/notifications/{notification_id}/read", dependencies=[Csrf])
def mark_read(request: Request, notification_id: UUID, backend: BackendDep, principal: SessionDep) -> Response:
    try:
        feed_routes.mark_read(notification_id, backend.queries, principal)
    except REFUSED as e:
        status, error = refusal(e)
        return page(request, "message.html", principal, status=status, error=error, back="/ui/inbox")
    return RedirectResponse("/ui/inbox", status_code=303)


REPORTS = {
    "funnel": (("stage",), "reached"),
    "sources": (("source",), "leads"),
    "reps": (("rep",), "leads"),
    "aging": (("status", "bucket"), "leads"),
    "response_times": (("rep",), "median_response_minutes"),
    "volume": (("period_start",), "leads"),
    "geography": (("country", "region"), "leads"),
}
"""Each report charted: the columns naming a bar, and the number it shows."""


def chart(rows: list[dict[str, Any]], label: tuple[str, ...], value: str) -> dict[str, list[Any]]:
    return {
        "labels": [" ".join(str(r.get(k) or "unassigned") for k in label) for r in rows],
        "values": [r.get(value) or 0 for r in rows],
    }


@router.get("/reports", response_class=HTMLResponse)
def reports(request: Request, backend: BackendDep, principal: SessionDep) -> Response:
    """Funnel, sources, reps and aging, as charts with their numbers in a table beside each."""
    if not principal.may(Action.EXPORT):
        return page(request, "message.html", principal, status=403, error=f"role {principal.role} may not see reports")
    data: dict[str, list[dict[str, Any]]] = {
        name: getattr(report_routes, name)(backend.queries, principal) for name in REPORTS
    }
    charts = {name: chart(data[name], *REPORTS[name]) for name in REPORTS}
    return page(request, "reports.html", principal, reports=data, charts=charts, active="reports")


@router.get("/operator", response_class=HTMLResponse)
def operator(request: Request, backend: BackendDep, principal: SessionDep, dlq: str = "open") -> Response:
    """What ``GET /health`` reports, laid out: the verdict and its problems, each component,
    each projection's lag and state, quarantined events and the relay's backlog."""
    report = backend.health()
    components = report.get("components", {})
    consumers = components.get("consumers", {})
    relay = {n: c for n, c in consumers.items() if "relay" in n}
    return page(
        request,
        "operator.html",
        principal,
        report=report,
        components={k: v for k, v in components.items() if k not in ("consumers", "rebuilds")},
        rebuilds=components.get("rebuilds", {}),
        consumers={n: c for n, c in consumers.items() if n not in relay},
        relay=relay,
        **dead_letters(backend, principal, dlq),
    )
