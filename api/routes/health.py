"""Liveness and the state of every component."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import EngineDep
from infra.health import health

router = APIRouter(tags=["operations"])


@router.get("/health")
def get_health(engine: EngineDep) -> JSONResponse:
    report: dict[str, Any] = health(engine)
    return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503)
