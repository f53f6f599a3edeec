"""Dependencies as ``Annotated`` aliases: the engine, the caller, and the metadata and
preconditions every command carries."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import Depends, Header, Request
from pydantic import BeforeValidator

from api.auth import get_principal
from api.conditional import PreconditionFailed
from api.context import Backend
from api.idempotency import fingerprint_of
from api.observability import current_request_id, current_traceparent
from domain.access import Action, Principal
from domain.errors import InvalidCommand
from domain.limits import HeaderText
from domain.picklists import Channel
from domain.ports import Blobs
from domain.service import CommandResult, LeadService
from domain.values import EventMeta, scoped_command_id
from projections.queries import ReadModels

MAX_POSITION = 2**63 - 1
"""Log positions are PostgreSQL bigints."""
MAX_VERSION = 2**31 - 1
"""Aggregate versions are PostgreSQL integers."""


def iso_8601(value: Any) -> Any:
    """A moment must be written as one (pydantic would also read a number as Unix time)."""
    if isinstance(value, str) and re.fullmatch(r"\s*[-+]?[0-9.eE+-]+\s*", value) and not re.search(r"\d-\d", value):
        raise ValueError("must be an ISO 8601 date and time, e.g. 2026-11-20T10:00:00Z")
    return value


Moment = Annotated[datetime, BeforeValidator(iso_8601)]


def as_utc(moment: datetime) -> datetime:
    """A time from a query string; one without an offset is read as UTC (never as the
    server's local time, which could not even represent year 1 in some zones)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


VERSION_TAG = re.compile(r'(W/)?"?([0-9]{1,9})"?')
"""An entity tag holding a lead version (ASCII digits only)."""
IF_MATCH_PATTERN = r'^(?:\*|(?:W/)?"?[0-9]{1,9}"?)$'
"""What ``If-Match`` may hold, as the OpenAPI document states it."""


def get_backend(request: Request) -> Backend:
    backend: Backend = request.app.state.backend
    return backend


def get_service(request: Request) -> LeadService:
    return get_backend(request).service


def get_queries(request: Request) -> ReadModels:
    return get_backend(request).queries


def get_blobs(request: Request) -> Blobs:
    return get_backend(request).blobs


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def get_meta(
    request: Request,
    principal: PrincipalDep,
    idempotency_key: Annotated[
        HeaderText | None, Header(description="Repeat a command safely: same key, one effect")
    ] = None,
    x_request_id: Annotated[HeaderText | None, Header(description="Correlation id; generated when absent")] = None,
) -> EventMeta:
    """Idempotency keys are the caller's own: scoped by user, so two users' keys never meet;
    each names one request (its fingerprint), so reusing one for another request is a 422."""
    return EventMeta(
        actor=principal.user,
        channel=Channel.API,
        command_id=scoped_command_id(principal.user, idempotency_key) if idempotency_key else None,
        correlation_id=current_request_id() or x_request_id or str(uuid4()),
        request_fingerprint=fingerprint_of(request) if idempotency_key else None,
        traceparent=current_traceparent(),
    )


def get_expected_version(
    if_match: Annotated[
        HeaderText | None,
        Header(description='The version you last saw (the ETag of GET, e.g. "3"); refused with 412 if stale'),
    ] = None,
) -> int | None:
    """The version the command needs (None: any). ``If-Match`` compares strongly (RFC 9110
    13.1.1), so a weak tag can never match: 412 rather than a guess."""
    if if_match is None or if_match.strip() == "*":
        return None
    version = VERSION_TAG.fullmatch(if_match.strip())
    if version is None:
        raise InvalidCommand('If-Match must be a lead version, e.g. "3"', field="If-Match")
    if version.group(1):
        raise PreconditionFailed(
            f"If-Match {if_match.strip()} is a weak entity tag; it never matches by the strong comparison "
            f'If-Match uses (RFC 9110 13.1.1): send "{version.group(2)}"'
        )
    return int(version.group(2))


@dataclass(frozen=True)
class CommandContext:
    """What every lead command needs: the service, the caller, the metadata, If-Match."""

    service: LeadService
    principal: Principal
    meta: EventMeta
    expected_version: int | None

    def on_lead(
        self, lead_id: UUID, action: Action, call: Callable[[LeadService, EventMeta, int | None], CommandResult]
    ) -> CommandResult:
        """Check the caller may act on this lead (from its current state, not a read model),
        then run the command."""
        self.principal.require_lead(action, self.service.get_lead(lead_id))
        return call(self.service, self.meta, self.expected_version)


BackendDep = Annotated[Backend, Depends(get_backend)]
QueriesDep = Annotated[ReadModels, Depends(get_queries)]
BlobsDep = Annotated[Blobs, Depends(get_blobs)]
ServiceDep = Annotated[LeadService, Depends(get_service)]
MetaDep = Annotated[EventMeta, Depends(get_meta)]
ExpectedVersionDep = Annotated[int | None, Depends(get_expected_version)]


def get_command_context(
    service: ServiceDep, principal: PrincipalDep, meta: MetaDep, expected_version: ExpectedVersionDep
) -> CommandContext:
    return CommandContext(service, principal, meta, expected_version)


CommandDep = Annotated[CommandContext, Depends(get_command_context)]
