"""Domain and request errors as RFC 9457 problem details, mapped in this one place."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import Forbidden, Unauthenticated
from api.models import DuplicateCandidate
from domain.duplicates import PossibleDuplicate
from domain.errors import (
    ConversionRequirementsUnmet,
    DomainError,
    IllegalTransition,
    InvalidCommand,
    LeadErased,
    NotFound,
    SubjectErased,
    VersionConflict,
)

STATUS: list[tuple[type[DomainError], int, str]] = [
    (InvalidCommand, 422, "invalid-command"),
    (NotFound, 404, "not-found"),
    (VersionConflict, 409, "version-conflict"),
    (IllegalTransition, 409, "illegal-transition"),
    (ConversionRequirementsUnmet, 409, "conversion-requirements-unmet"),
    (LeadErased, 409, "lead-erased"),
    (SubjectErased, 409, "lead-erased"),
]


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    field: str | None = None
    current_status: str | None = None
    errors: list[dict[str, str]] | None = None
    candidates: list[DuplicateCandidate] | None = None


PROBLEM = {"model": Problem, "content": {"application/problem+json": {}}}
RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {**PROBLEM, "description": "Bad request"},
    401: {**PROBLEM, "description": "No valid bearer token"},
    403: {**PROBLEM, "description": "The caller's role or scope does not allow this"},
    404: {**PROBLEM, "description": "No such lead (or account, contact, attachment)"},
    409: {
        **PROBLEM,
        "description": "Version conflict, illegal transition, possible duplicate, erased lead or unmet precondition",
    },
    413: {**PROBLEM, "description": "Upload over the size limit"},
    422: {**PROBLEM, "description": "Invalid input; the field is named"},
}
"""Documented on every route, so clients (and schemathesis) know every answer they may get."""


class PayloadTooLarge(Exception):
    """An upload over the configured limit."""


def problem(status: int, kind: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": f"urn:leads-engine:problem:{kind}", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


class RefuseNul:
    """A NUL character in a path or query can match nothing and cannot be stored: a 400 says so.
    Plain ASGI (not ``BaseHTTPMiddleware``), so it costs nothing on the way through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            "\x00" in scope["path"] or "\x00" in unquote(scope.get("query_string", b"").decode("latin-1"))
        ):
            response = problem(400, "bad-request", "Bad request", "the URL must not contain NUL (%00) characters")
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def install(app: FastAPI) -> None:
    app.add_middleware(RefuseNul)

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

    @app.exception_handler(PossibleDuplicate)
    async def duplicate(_: Request, exc: PossibleDuplicate) -> JSONResponse:
        return problem(
            409,
            "possible-duplicate",
            "Possible duplicate",
            f"{exc}; repeat with on_duplicate=create or associate, or use the existing lead",
            candidates=[
                DuplicateCandidate(
                    lead_id=c.lead_id, contact_name=c.contact_name, matched_on=list(c.matched_on)
                ).model_dump(mode="json")
                for c in exc.candidates
            ],
        )

    @app.exception_handler(PayloadTooLarge)
    async def too_large(_: Request, exc: PayloadTooLarge) -> JSONResponse:
        return problem(413, "payload-too-large", "Payload too large", str(exc))

    @app.exception_handler(ValidationError)
    async def invalid_value(_: Request, exc: ValidationError) -> JSONResponse:
        """A request that passed its body model but built an invalid domain value."""
        return _invalid(exc.errors())

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        return _invalid(exc.errors())


def _invalid(raw: Sequence[Any]) -> JSONResponse:
    errors = [{"field": ".".join(str(p) for p in e["loc"] if p != "body") or "body", "message": e["msg"]} for e in raw]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem(422, "invalid-request", "Invalid request", detail, errors=errors)
