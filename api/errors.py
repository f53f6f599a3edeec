"""Domain and request errors as RFC 9457 problem details, mapped in this one place."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from api.auth import Forbidden, Unauthenticated
from domain.errors import ConversionRequirementsUnmet, DomainError, IllegalTransition, InvalidCommand, NotFound, VersionConflict

STATUS: list[tuple[type[DomainError], int, str]] = [
    (InvalidCommand, 422, "invalid-command"),
    (NotFound, 404, "not-found"),
    (VersionConflict, 409, "version-conflict"),
    (IllegalTransition, 409, "illegal-transition"),
    (ConversionRequirementsUnmet, 409, "conversion-requirements-unmet"),
]


class PayloadTooLarge(Exception):
    """An upload over the configured limit."""


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

    @app.exception_handler(Unauthenticated)
    async def unauthenticated(_: Request, exc: Unauthenticated) -> JSONResponse:
        response = problem(401, "unauthenticated", "Unauthenticated", str(exc))
        response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @app.exception_handler(Forbidden)
    async def forbidden(_: Request, exc: Forbidden) -> JSONResponse:
        return problem(403, "forbidden", "Forbidden", str(exc))

    @app.exception_handler(PayloadTooLarge)
    async def too_large(_: Request, exc: PayloadTooLarge) -> JSONResponse:
        return problem(413, "payload-too-large", "Payload too large", str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"] if p != "body") or "body", "message": e["msg"]} for e in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(422, "invalid-request", "Invalid request", detail, errors=errors)
