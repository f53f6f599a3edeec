"""Dependencies as ``Annotated`` aliases: the engine, and the metadata every command carries."""

from __future__ import annotations

from typing import Annotated
from uuid import uuid4

from fastapi import Depends, Header, Request

from domain.service import LeadService
from domain.values import Channel, EventMeta
from infra.runtime import Engine


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_service(request: Request) -> LeadService:
    return get_engine(request).service


def get_meta(
    idempotency_key: Annotated[str | None, Header(description="Repeat a command safely: same key, one effect")] = None,
    x_actor: Annotated[str | None, Header(description="Acting user until token auth lands")] = None,
    x_request_id: Annotated[str | None, Header(description="Correlation id; generated when absent")] = None,
) -> EventMeta:
    return EventMeta(
        actor=x_actor or "anonymous",
        channel=Channel.API,
        command_id=idempotency_key,
        correlation_id=x_request_id or str(uuid4()),
    )


EngineDep = Annotated[Engine, Depends(get_engine)]
ServiceDep = Annotated[LeadService, Depends(get_service)]
MetaDep = Annotated[EventMeta, Depends(get_meta)]
