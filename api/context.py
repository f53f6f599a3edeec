"""What the HTTP edge is given by the composition root (``infra.runtime``): the application,
the read side's facade and the few ports a route needs. Routes reach nothing else."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from api.rate_limits import RateLimitSettings
from domain.ports import Blobs, ChainLinks, DataKeys, EventLog
from domain.service import LeadService
from projections.queries import ReadModels


@dataclass(frozen=True)
class ApiConfig:
    signing_key: str
    read_wait_s: float
    rate_limits: RateLimitSettings = field(default_factory=RateLimitSettings)


@dataclass(frozen=True)
class Backend:
    service: LeadService
    """Commands, and the write side's own reads (a lead's state, history, replay)."""
    queries: ReadModels
    """Every read model query."""
    blobs: Blobs
    keys: DataKeys
    event_log: EventLog
    """The recorded events in order, for the audit export."""
    wait_until_projected: Callable[[str, int, float], Awaitable[bool]]
    """(projection, log position, timeout s) → whether the projection got there in time; an
    asynchronous wait, so no worker thread is parked while a client waits."""
    health: Callable[[], dict[str, Any]]
    metrics: Callable[[], bytes]
    config: ApiConfig
    chain: ChainLinks | None = None
    """The events' hash chain, which the audit export carries (None: exported without it)."""
