"""Domain and request errors as RFC 9457 problem details, mapped in this one place."""

from __future__ import annotations

import re
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

from eventsourcing.persistence import InterfaceError as StoreInterfaceError
from eventsourcing.persistence import OperationalError as StoreOperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import Unauthenticated
from api.body_limits import BodyLimits, PayloadTooLarge
from api.conditional import PreconditionFailed
from api.models import DuplicateCandidate
from domain.access import Forbidden
from domain.assignment import RulesRefused
from domain.duplicates import PossibleDuplicate
from domain.errors import (
    AlreadyClaimed,
    CapacityReached,
    ConversionRequirementsUnmet,
    DeadLetterResolved,
    DeclaredDistinct,
    DomainError,
    IdempotencyKeyReused,
    IllegalTransition,
    InvalidCommand,
    JobOver,
    LeadDeleted,
    LeadErased,
    LeadExists,
    NotFound,
    OwnerChanged,
    QualificationRequirementsUnmet,
    SubjectErased,
    Unavailable,
    VersionConflict,
)
from domain.routing import Problem as RuleProblem
from domain.scoring_models import ModelRefused

STATUS: list[tuple[type[DomainError], int, str]] = [
    (ModelRefused, 422, "model-refused"),
    (RulesRefused, 422, "rules-refused"),
    (IdempotencyKeyReused, 422, "idempotency-key-reused"),
    (InvalidCommand, 422, "invalid-command"),
    (Forbidden, 403, "forbidden"),
    (OwnerChanged, 409, "owner-changed"),
    (AlreadyClaimed, 409, "already-claimed"),
    (DeclaredDistinct, 409, "declared-distinct"),
    (CapacityReached, 409, "capacity-reached"),
    (NotFound, 404, "not-found"),
    (LeadExists, 409, "lead-exists"),
    (DeadLetterResolved, 409, "dead-letter-resolved"),
    (VersionConflict, 409, "version-conflict"),
    (IllegalTransition, 409, "illegal-transition"),
    (JobOver, 409, "job-over"),
    (QualificationRequirementsUnmet, 409, "qualification-requirements-unmet"),
    (ConversionRequirementsUnmet, 409, "conversion-requirements-unmet"),
    (LeadErased, 409, "lead-erased"),
    (LeadDeleted, 409, "lead-deleted"),
    (SubjectErased, 409, "lead-erased"),
    (Unavailable, 503, "unavailable"),
]
RETRY_AFTER_S = 1
"""What a 503 asks the client to wait: the engine was busy (a database wait ran out), not down."""


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
    limit: int | None = None
    missing: list[str] | None = Field(
        default=None, description="What a refused qualification or conversion still needs (BANT items)"
    )
    problems: list[RuleProblem] | None = Field(
        default=None, description="Every problem of a refused rule list: the rule, the field and the reason"
    )


PROBLEM = {"model": Problem, "content": {"application/problem+json": {}}}
RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {**PROBLEM, "description": "Bad request"},
    401: {**PROBLEM, "description": "No valid bearer token"},
    403: {**PROBLEM, "description": "The caller's role or scope does not allow this"},
    404: {**PROBLEM, "description": "No such lead (or account, contact, attachment)"},
    409: {
        **PROBLEM,
        "description": "Version conflict, illegal transition, possible duplicate, erased lead or unmet precondition "
        "(BANT incomplete for qualification or conversion: `missing` names the items)",
    },
    412: {**PROBLEM, "description": "If-Match did not name the lead's current version (or was a weak W/ tag)"},
    413: {**PROBLEM, "description": "Request body or upload over its size limit; the limit is named"},
    422: {
        **PROBLEM,
        "description": "Invalid input; the field and the reason are named (or an Idempotency-Key reused "
        "for a different request)",
    },
    429: {
        **PROBLEM,
        "description": "Over a rate limit (RateLimit-Policy names them); retry after the Retry-After seconds",
    },
    503: {**PROBLEM, "description": "Busy: a database wait ran out; retry after the Retry-After seconds"},
}
"""Documented on every route, so clients (and schemathesis) know every answer they may get."""


def problem(status: int, kind: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": f"urn:leads-engine:problem:{kind}", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(printable(body), status_code=status, media_type="application/problem+json")


def printable(value: Any) -> Any:
    """``value`` with every text made encodable: a problem may quote the input it refuses (a
    field name, a value), and input can hold lone surrogates that no JSON encoder writes."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {printable(k): printable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [printable(v) for v in value]
    return value


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
    app.add_middleware(BodyLimits)
    app.add_middleware(RefuseNul)

    @app.exception_handler(PreconditionFailed)
    async def precondition_failed(_: Request, exc: PreconditionFailed) -> JSONResponse:
        return problem(412, "precondition-failed", "Precondition failed", exc.detail)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        if isinstance(exc, VersionConflict) and request.headers.get("if-match", "*").strip() != "*":
            return problem(412, "precondition-failed", "Precondition failed", str(exc))
        status, kind = next(((s, k) for cls, s, k in STATUS if isinstance(exc, cls)), (400, "refused"))
        extra: dict[str, Any] = {}
        if isinstance(exc, InvalidCommand | LeadExists | NotFound) and exc.field:
            extra["field"] = exc.field
        if isinstance(exc, IllegalTransition):
            extra["current_status"] = exc.status
        if isinstance(exc, QualificationRequirementsUnmet | ConversionRequirementsUnmet):
            extra["missing"] = exc.missing
        if isinstance(exc, RulesRefused):
            extra["problems"] = [p.model_dump() for p in exc.problems]
        response = problem(status, kind, type(exc).__name__, str(exc), **extra)
        if status == 503:
            response.headers["Retry-After"] = str(RETRY_AFTER_S)
        return response

    @app.exception_handler(StoreOperationalError)
    @app.exception_handler(StoreInterfaceError)
    async def store_unavailable(request: Request, exc: Exception) -> JSONResponse:
        """The event store refused in time (a lock or statement timeout) or lost its connection."""
        return await domain_error(request, Unavailable(f"the event store did not answer in time: {exc}"))

    @app.exception_handler(Unauthenticated)
    async def unauthenticated(_: Request, exc: Unauthenticated) -> JSONResponse:
        response = problem(401, "unauthenticated", "Unauthenticated", str(exc))
        response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @app.exception_handler(PossibleDuplicate)
    async def duplicate(_: Request, exc: PossibleDuplicate) -> JSONResponse:
        return problem(
            409,
            "possible-duplicate",
            "Possible duplicate",
            f"{exc}; repeat with on_duplicate=create or associate, or use the existing lead",
            candidates=[
                DuplicateCandidate(
                    id=c.record_id,
                    kind=c.kind,
                    lead_id=c.record_id if c.kind == "lead" else None,
                    contact_name=c.contact_name,
                    matched_on=list(c.matched_on),
                ).model_dump(mode="json")
                for c in exc.candidates
            ],
        )

    @app.exception_handler(PayloadTooLarge)
    async def too_large(_: Request, exc: PayloadTooLarge) -> JSONResponse:
        return problem(413, "payload-too-large", "Payload too large", exc.detail, limit=exc.limit)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        """Routing errors (404, 405) and the framework's own refusals, as problems too."""
        title = HTTPStatus(exc.status_code).phrase
        response = problem(exc.status_code, title.lower().replace(" ", "-"), title, str(exc.detail))
        response.headers.update(exc.headers or {})
        if exc.status_code == 405:
            response.headers["Allow"] = ", ".join(allowed_methods(request))
        return response

    @app.exception_handler(ValidationError)
    async def invalid_value(_: Request, exc: ValidationError) -> JSONResponse:
        """A request that passed its body model but built an invalid domain value."""
        return _invalid(exc.errors())

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        return _invalid(exc.errors())


UUID_PATTERN = "[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"


def allowed_methods(request: Request) -> list[str]:
    """Every method the API serves at this path, from its own OpenAPI document (a 405 from the
    router names only the methods of the first route whose path matched)."""
    methods: set[str] = set()
    for template, operations in request.app.openapi()["paths"].items():
        uuids = {
            p["name"]
            for operation in operations.values()
            for p in operation.get("parameters", [])
            if p["in"] == "path" and p.get("schema", {}).get("format") == "uuid"
        }
        pattern = re.sub(
            r"\\\{([^}]+)\\\}",
            lambda m, uuids=uuids: UUID_PATTERN if m.group(1) in uuids else "[^/]+",  # type: ignore[misc]
            re.escape(template),
        )
        if re.fullmatch(pattern, request.url.path):
            methods |= {m.upper() for m in operations}
    return sorted(methods)


LOCATIONS = ("body", "query", "header", "path", "cookie")


def field_path(loc: Sequence[Any]) -> str:
    """``address.postal_code``, ``cursor``, ``if-match``: where the problem is, without saying in
    which part of the request (the name says it); empty for the request as a whole."""
    parts = list(loc[1:] if loc and loc[0] in LOCATIONS else loc)
    return ".".join(str(p) for p in parts)


def _invalid(raw: Sequence[Any]) -> JSONResponse:
    errors = [{"field": field_path(e["loc"]), "message": e["msg"]} for e in raw]
    detail = "; ".join(f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors)
    return problem(422, "invalid-request", "Invalid request", detail, errors=errors)
