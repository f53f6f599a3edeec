"""A console form becomes the same :class:`~api.deps.CommandContext` a JSON request builds:
the service, the caller, the metadata (the form's one-time key makes a resubmitted form one
command) and the version the page showed (``If-Match``)."""

from __future__ import annotations

from uuid import uuid4

from fastapi import Request

from api.deps import CommandContext, get_service
from domain.access import Principal
from domain.picklists import Channel
from domain.values import EventMeta, scoped_command_id


def command_context(request: Request, principal: Principal, *, command_key: str, version: int | None) -> CommandContext:
    key = command_key.strip()[:100]
    meta = EventMeta(
        actor=principal.user,
        channel=Channel.API,
        command_id=scoped_command_id(principal.user, f"console:{key}") if key else None,
        correlation_id=request.headers.get("X-Request-Id", "")[:200] or str(uuid4()),
    )
    return CommandContext(get_service(request), principal, meta, version)
