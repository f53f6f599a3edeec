"""Request bodies are held to their limit while they are read, never buffered past it.

A declared ``Content-Length`` over the limit is refused before a byte of the body is read; a
body without one (chunked) is counted as it arrives and refused the moment it passes the limit.
Either way the client gets a 413 problem naming the limit, and no handler, lock or database
transaction has started. Web forms, which anyone may post to, and attachments, which are
files, have limits of their own (``domain.limits``).
"""

from __future__ import annotations

import re

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain import limits


class PayloadTooLarge(HTTPException):
    """A request body, or a file in it, over its limit. An ``HTTPException`` so that FastAPI's
    body parsing lets it through instead of turning it into a 400."""

    def __init__(self, what: str, limit: int) -> None:
        super().__init__(413, f"{what} is limited to {limit} bytes")
        self.limit = limit


FORMS = re.compile(r"^/forms/")
ATTACHMENTS = re.compile(r"^(/ui)?/leads/[^/]+/attachments/?$")
"""The API's upload and the lead page's (which calls the same route function)."""
IMPORTS = re.compile(r"^/imports/?$|^/ui/imports/dry-run$")
"""The API's upload and the console wizard's (which calls the same route function)."""
MULTIPART_OVERHEAD = 64 * 1024
"""Room for the multipart framing and form fields around an attached file."""


def body_limit(path: str) -> tuple[str, int]:
    """What the body of a request to ``path`` is, and how large it may be."""
    current = limits.current()
    if FORMS.match(path):
        return "a web form post", current.form_bytes
    if ATTACHMENTS.match(path):
        return "an upload", current.attachment_bytes + MULTIPART_OVERHEAD
    if IMPORTS.match(path):
        return "a file to import", current.import_bytes + MULTIPART_OVERHEAD
    return "a request body", current.request_bytes


class BodyLimits:
    """Plain ASGI middleware (no ``BaseHTTPMiddleware``), so it costs nothing on the way through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        what, limit = body_limit(scope["path"])
        declared = Headers(scope=scope).get("content-length")
        received = 0

        async def limited() -> Message:
            nonlocal received
            if declared is not None and declared.isdigit() and int(declared) > limit:
                raise PayloadTooLarge(what, limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge(what, limit)
            return message

        await self.app(scope, limited, send)
