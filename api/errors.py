"""Domain and request errors as RFC 9457 problem details, mapped in this one place."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from domain.errors import ConversionRequirementsUnmet, DomainError, IllegalTransition, InvalidCommand, NotFound, VersionConflict

STATUS: list[tuple[type[DomainError], int, str]] = [
    (InvalidCommand, 422, "invalid-command"),
    (NotFound, 404, "not-found"),
    (VersionConflict, 409, "version-conflict"),
    (IllegalTransition, 409, "illegal-transition"),
    (ConversionRequirementsUnmet, 409, "conversion-requirements-unmet"),
]


def problem(status: int, kind: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": f"urn:leads-engine:problem:{kind}", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_: Request, exc: DomainError) -> JSONResponse:
        status, kind = next(((s, k) for cls, s, k in STATUS if isinstance(exc, cls)), (400, "refused"))
        extra: dict[str, Any] = {}
        if isinstance(exc, InvalidCommand) and exc.field:
            extra["field"] = exc.field
        if isinstance(exc, IllegalTransition):
            extra["current_status"] = exc.status
        return problem(status, kind, type(exc).__name__, str(exc), **extra)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"] if p != "body") or "body", "message": e["msg"]} for e in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(422, "invalid-request", "Invalid request", detail, errors=errors)
