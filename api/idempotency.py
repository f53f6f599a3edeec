"""An ``Idempotency-Key`` names one request, as the IETF idempotency-key draft asks: the
request's fingerprint (method, path and query, body) is kept with the key's first result, and
the key reused with a different request is refused with a 422 problem instead of silently
answered with the first result.

The fingerprint is hashed while the body streams through (plain ASGI, nothing buffered). A
multipart body (an upload) is left out: its boundary is random, so a client rebuilding the same
upload for a retry would send different bytes; its method, path and query still count."""

from __future__ import annotations

import hashlib
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATE_KEY = "request_fingerprint"


class RequestFingerprint:
    """Hashes requests that carry an ``Idempotency-Key``; :func:`fingerprint_of` reads it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope) if scope["type"] == "http" else Headers()
        if "idempotency-key" not in headers:
            await self.app(scope, receive, send)
            return
        digest = hashlib.sha256()
        for part in (scope["method"], scope["path"], scope.get("query_string", b"").decode("latin-1")):
            digest.update(part.encode("utf-8", "surrogateescape") + b"\n")
        scope.setdefault("state", {})[STATE_KEY] = digest
        if headers.get("content-type", "").lower().startswith("multipart/"):
            await self.app(scope, receive, send)
            return

        async def hashed() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                digest.update(message.get("body", b""))
            return message

        await self.app(scope, hashed, send)


def fingerprint_of(request: Request) -> str | None:
    """The request's fingerprint so far: the whole body once the framework has read it (it
    reads a route's body before solving its dependencies)."""
    digest: Any = request.scope.get("state", {}).get(STATE_KEY)
    return f"sha256:{digest.hexdigest()}" if digest is not None else None
