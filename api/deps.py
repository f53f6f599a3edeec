"""Dependencies as ``Annotated`` aliases: the engine, the caller, and the metadata and
preconditions every command carries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated
from uuid import UUID, uuid4

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.auth import Permission, Principal, Unauthenticated, principal_from
from api.context import Backend
from domain.errors import InvalidCommand
from domain.ports import Blobs
from domain.service import CommandResult, LeadService
from domain.values import Channel, EventMeta
from projections.queries import ReadModels

bearer = HTTPBearer(auto_error=False, description="JWT from `leads token`")


def get_backend(request: Request) -> Backend:
    backend: Backend = request.app.state.backend
    return backend


def get_service(request: Request) -> LeadService:
    return get_backend(request).service


def get_queries(request: Request) -> ReadModels:
    return get_backend(request).queries


def get_blobs(request: Request) -> Blobs:
    return get_backend(request).blobs


def get_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    if credentials is None:
        raise Unauthenticated("send a bearer token (Authorization: Bearer ...); `leads token` issues one")
    return principal_from(credentials.credentials, key=get_backend(request).config.signing_key)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def get_meta(
    principal: PrincipalDep,
    idempotency_key: Annotated[str | None, Header(description="Repeat a command safely: same key, one effect")] = None,
    x_request_id: Annotated[str | None, Header(description="Correlation id; generated when absent")] = None,
) -> EventMeta:
    return EventMeta(
        actor=principal.user,
        channel=Channel.API,
        command_id=f"{principal.user}/{idempotency_key}" if idempotency_key else None,
        correlation_id=x_request_id or str(uuid4()),
    )


def get_expected_version(
    if_match: Annotated[
        str | None, Header(description="The version you last saw (ETag); refused with 409 if stale")
    ] = None,
) -> int | None:
    if if_match is None:
        return None
    value = if_match.removeprefix("W/").strip('"')
    if not value.isdigit():
        raise InvalidCommand('If-Match must be a lead version, e.g. "3"', field="If-Match")
    return int(value)


@dataclass(frozen=True)
class CommandContext:
    """What every lead command needs: the service, the caller, the metadata, If-Match."""

    service: LeadService
    principal: Principal
    meta: EventMeta
    expected_version: int | None

    def on_lead(
        self, lead_id: UUID, permission: Permission, call: Callable[[LeadService, EventMeta, int | None], CommandResult]
    ) -> CommandResult:
        """Check the caller may act on this lead, then run the command."""
        self.principal.require_lead(permission, lambda: self.service.get_lead(lead_id))
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
