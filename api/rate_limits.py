"""Rate limits on the HTTP edge, with the ``limits`` library: per client address and per form
on ``POST /forms/{id}`` (anyone may post there), per bearer token on the rest of the API.

Every limited answer carries the IETF ratelimit-headers draft's fields (``RateLimit-Policy``:
each policy's quota ``q`` per window ``w`` seconds; ``RateLimit``: the nearest policy's
remaining ``r`` and the seconds ``t`` until its window frees up). A request over a limit gets a
429 problem with ``Retry-After`` before the engine reads its body or its token.

Counts are kept where ``storage_uri`` says: in memory (per process), or in a storage shared by
every process, such as the PostgreSQL one the composition root builds for ``postgresql://``
(``infra.rate_limit_store``). A storage that does I/O is asked from a worker thread, never on the
event loop, and when it cannot answer the request goes through unlimited (logged): a broken
counter store must not take the API down with it."""

from __future__ import annotations

import hashlib
import logging
import math
import re
import time
from dataclasses import dataclass
from typing import Annotated

from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, MovingWindowSupport, SlidingWindowCounterSupport, Storage, storage_from_string
from limits.strategies import (
    FixedWindowRateLimiter,
    MovingWindowRateLimiter,
    RateLimiter,
    SlidingWindowCounterRateLimiter,
)
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import problem


def _a_limit(value: str) -> str:
    try:
        parse(value)
    except ValueError as e:
        raise ValueError(f"{e}; write a rate as `limits` does, e.g. 60/minute or 5 per second") from None
    return value


Rate = Annotated[str, AfterValidator(_a_limit)]


class RateLimitSettings(BaseModel):
    """``LEADS_RATE_LIMITS__<NAME>``. Generous by default: they stop a flood, not a busy client."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    form_per_client: Rate = Field(
        default="120/minute", description="POST /forms/{id} from one client address (the anonymous entrance)"
    )
    form_per_form: Rate = Field(default="6000/minute", description="POST /forms/{id} to one form, from everyone")
    api_per_token: Rate = Field(default="60000/minute", description="Requests with one bearer token")
    storage_uri: str = Field(
        default="memory://",
        description="Where counts are kept (a `limits` storage URI). memory:// counts per process; "
        "postgresql:// shares them between every API process through the engine's own database "
        "(postgresql://user@host/db: another one); redis://host:6379 through Redis (needs the redis package)",
    )


FORM = re.compile(r"^/forms/([^/]+)/?$")
log = logging.getLogger(__name__)


def limiter_for(storage: Storage) -> RateLimiter:
    """The moving window where the storage keeps one entry per hit (memory, Redis), else the
    sliding window counter (two counters per key), else the fixed window."""
    if isinstance(storage, MovingWindowSupport):
        return MovingWindowRateLimiter(storage)
    if isinstance(storage, SlidingWindowCounterSupport):
        return SlidingWindowCounterRateLimiter(storage)
    return FixedWindowRateLimiter(storage)


@dataclass(frozen=True)
class Policy:
    name: str
    rate: RateLimitItem
    key: str


class RateLimits:
    """Plain ASGI middleware (no ``BaseHTTPMiddleware``), ahead of everything that reads the body
    or the token, so a refused request costs one counter lookup."""

    def __init__(self, app: ASGIApp, settings: RateLimitSettings, storage: Storage | None = None) -> None:
        """``storage``: where counts are kept, when the composition root built it (a shared
        one); otherwise the ``limits`` storage ``settings.storage_uri`` names."""
        self.app = app
        self.settings = settings
        store = storage if storage is not None else storage_from_string(settings.storage_uri)
        assert isinstance(store, Storage), "an async storage cannot serve this synchronous limiter"
        self.limiter = limiter_for(store)
        self.in_memory = isinstance(store, MemoryStorage)
        self.rates = {
            "client": parse(settings.form_per_client),
            "form": parse(settings.form_per_form),
            "token": parse(settings.api_per_token),
        }

    def policies(self, scope: Scope) -> list[Policy]:
        """The limits a request counts against (none for health, metrics and the docs)."""
        form = FORM.match(scope["path"])
        if form and scope["method"] == "POST":
            client = (scope.get("client") or ("unknown", 0))[0]
            return [
                Policy("client", self.rates["client"], f"client:{client}"),
                Policy("form", self.rates["form"], f"form:{form.group(1)}"),
            ]
        authorization = Headers(scope=scope).get("authorization")
        if authorization:
            token = hashlib.sha256(authorization.encode("utf-8", "surrogateescape")).hexdigest()[:32]
            return [Policy("token", self.rates["token"], f"token:{token}")]
        return []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.settings.enabled:
            await self.app(scope, receive, send)
            return
        policies = self.policies(scope)
        if not policies:
            await self.app(scope, receive, send)
            return
        try:
            refused, headers, wait = (
                self.count(policies) if self.in_memory else await run_in_threadpool(self.count, policies)
            )
        except StorageError as e:
            log.warning("rate limits not applied: their storage did not answer: %s", e)
            await self.app(scope, receive, send)
            return
        if refused:
            await self.too_many(scope, receive, send, refused, headers, wait)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *headers]}
            await send(message)

        await self.app(scope, receive, with_headers)

    def count(self, policies: list[Policy]) -> tuple[Policy | None, list[tuple[bytes, bytes]], int]:
        """Count the request against each policy: the first it is refused by (None: allowed),
        the headers to send, and for a refusal, the seconds until it would be allowed."""
        # in order, stopping at the first refusal: a client past its own limit spends no more of the form's
        refused = next((p for p in policies if not self.limiter.hit(p.rate, p.key)), None)
        headers = self.headers(policies)
        if refused is None:
            return None, headers, 0
        reset = self.limiter.get_window_stats(refused.rate, refused.key).reset_time
        return refused, headers, max(1, math.ceil(reset - time.time()))

    def headers(self, policies: list[Policy]) -> list[tuple[bytes, bytes]]:
        now = time.time()
        stats = [(p, self.limiter.get_window_stats(p.rate, p.key)) for p in policies]
        policy = ", ".join(f'"{p.name}";q={p.rate.amount};w={p.rate.get_expiry()}' for p in policies)
        nearest, s = min(stats, key=lambda ps: ps[1].remaining)
        current = f'"{nearest.name}";r={s.remaining};t={max(0, math.ceil(s.reset_time - now))}'
        return [(b"ratelimit-policy", policy.encode()), (b"ratelimit", current.encode())]

    async def too_many(
        self, scope: Scope, receive: Receive, send: Send, policy: Policy, headers: list[tuple[bytes, bytes]], wait: int
    ) -> None:
        response = problem(
            429,
            "too-many-requests",
            "Too many requests",
            f"over the {policy.name} limit of {policy.rate.amount} per {policy.rate.get_expiry()} s; "
            f"retry after {wait} s",
            limit=policy.rate.amount,
        )
        response.headers["Retry-After"] = str(wait)
        for name, value in headers:
            response.headers[name.decode()] = value.decode()
        await response(scope, receive, send)
