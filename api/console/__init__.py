"""The web console: server-rendered pages (Jinja2, htmx, a little Alpine.js) under ``/ui``, over
the same route functions, application service and query facade as the JSON API. It adds no
rules of its own: what a page shows and which controls it offers follow ``domain.access``."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.console import (
    lead_attachments,
    lead_forms,
    lead_workflows,
    pages_auth,
    pages_bulk,
    pages_dead_letters,
    pages_import,
    pages_kanban,
    pages_lead,
    pages_list,
    pages_ops,
)
from api.console.render import HERE, page
from api.console.session import CsrfRefused, LoginRequired, end_session

STATIC_MAX_AGE_S = 86400
"""Vendored files carry their version in their name, so browsers may keep them a day."""


def install(app: FastAPI) -> None:
    pages = [pages_auth, pages_list, pages_kanban, pages_bulk, pages_lead, lead_workflows, lead_attachments]
    pages += [lead_forms, pages_ops]  # after the attachment routes: its /{form_name} would match theirs
    for module in [*pages, pages_import, pages_dead_letters]:
        app.include_router(module.router)
    app.mount("/ui/static", StaticFiles(directory=HERE / "static"), name="console-static")

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        response: Response = RedirectResponse(
            f"/ui/login?next={quote(target, safe='')}&reason={quote(exc.reason)}", 303
        )
        if request.headers.get("HX-Request"):
            response = Response(status_code=204, headers={"HX-Redirect": "/ui/login"})
        end_session(response)
        return response

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, exc: CsrfRefused) -> Response:
        return page(request, "message.html", None, status=403, error=str(exc), back="/ui/leads")

    app.add_middleware(ConsoleHeaders)
    html_errors_under_ui(app)


def html_errors_under_ui(app: FastAPI) -> None:
    """A refused request to a console page (a malformed form, an unknown path) answers with a
    page saying why, at the same status; the API's own paths keep their problem+json answers."""
    for kind in (RequestValidationError, HTTPException):
        api_handler = app.exception_handlers[kind]

        async def handler(request: Request, exc: Exception, api_handler: Any = api_handler) -> Response:
            if not request.url.path.startswith("/ui"):
                response: Response = await api_handler(request, exc)
                return response
            if isinstance(exc, RequestValidationError):
                detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in exc.errors())
                return page(request, "message.html", None, status=422, error=detail, back="/ui/leads")
            status = exc.status_code if isinstance(exc, HTTPException) else 500
            return page(request, "message.html", None, status=status, error=str(getattr(exc, "detail", exc)))

        app.add_exception_handler(kind, handler)


class ConsoleHeaders:
    """Headers of every console response: no framing (clickjacking), no sniffing, no caching of
    pages that show personal data; vendored files may be cached. Plain ASGI, and only for
    ``/ui`` paths, so the JSON API pays nothing for it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith("/ui"):
            await self.app(scope, receive, send)
            return
        cache = f"public, max-age={STATIC_MAX_AGE_S}" if path.startswith("/ui/static/") else "no-store"

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Frame-Options"] = "DENY"
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "same-origin"
                headers["Cache-Control"] = cache
            await send(message)

        await self.app(scope, receive, with_headers)
