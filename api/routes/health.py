"""Liveness and the state of every component."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from api.auth import permission
from api.deps import BackendDep

router = APIRouter(tags=["operations"])


@router.get("/health", **permission(None))
def get_health(backend: BackendDep) -> JSONResponse:
    report: dict[str, Any] = backend.health()
    return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503)


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
    **permission(None),
)
def metrics(backend: BackendDep) -> Response:
    """Consumer positions, lag and state for Prometheus (unauthenticated, like /health)."""
    return Response(backend.metrics(), media_type=CONTENT_TYPE_LATEST)
