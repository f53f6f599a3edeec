"""Liveness and the state of every component."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from api.deps import EngineDep
from infra.health import health
from infra.metrics import render

router = APIRouter(tags=["operations"])


@router.get("/health")
def get_health(engine: EngineDep) -> JSONResponse:
    report: dict[str, Any] = health(engine)
    return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503)


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
)
def metrics(engine: EngineDep) -> Response:
    """Consumer positions, lag and state for Prometheus (unauthenticated, like /health)."""
    return Response(render(health(engine)), media_type=CONTENT_TYPE_LATEST)
