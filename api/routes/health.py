"""Liveness, readiness and the state of every component.

``/livez`` says the process runs (a liveness probe restarts it only when it does not answer);
``/readyz`` says it can serve (the stores answer, no projection has halted: a readiness probe
takes it out of the load balancer instead of restarting it in a loop over one bad event);
``/health`` is the full report, 503 whenever anything is degraded."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.auth import permission
from api.deps import BackendDep

router = APIRouter(tags=["operations"])


@router.get("/health", **permission(None))
def get_health(backend: BackendDep) -> JSONResponse:
    report: dict[str, Any] = backend.health()
    return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503)


@router.get("/livez", **permission(None))
def livez() -> JSONResponse:
    """The process runs and answers HTTP."""
    return JSONResponse({"status": "ok"})


@router.get("/readyz", **permission(None))
def readyz(backend: BackendDep) -> JSONResponse:
    """The engine can serve: 503 naming why not (a store in error, a halted projection)."""
    report: dict[str, Any] = backend.health()
    body: dict[str, Any] = {"status": "ready" if report["ready"] else "not ready"}
    if not report["ready"]:
        body["problems"] = report["not_ready"]
    return JSONResponse(body, status_code=200 if report["ready"] else 503)


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
    **permission(None),
)
def metrics(backend: BackendDep, request: Request) -> Response:
    """Consumer positions, lag and state, HTTP requests by route and status, and the process's
    CPU, memory and file descriptors, for Prometheus (unauthenticated, like /health)."""
    http = generate_latest(request.app.state.http_metrics.registry)
    return Response(backend.metrics() + http, media_type=CONTENT_TYPE_LATEST)
