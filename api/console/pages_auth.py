"""Signing in and out of the console, and ``GET /`` (the console's front door)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import Unauthenticated
from api.console.render import page
from api.console.session import Csrf, end_session, principal_of, start_session

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only a path of the console: never an open redirect to another site."""
    if target and target.startswith("/ui/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/ui/leads"


@router.get("/")
def front_door() -> RedirectResponse:
    return RedirectResponse("/ui/", status_code=307)


@router.get("/ui")
@router.get("/ui/")
def home() -> RedirectResponse:
    return RedirectResponse("/ui/inbox", status_code=303)


@router.get("/ui/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None, reason: str | None = None) -> Response:
    """``reason`` is not echoed (a link could make the page say anything): only whether the
    session ended."""
    ended = "Your session ended or its token is no longer valid; sign in again." if reason else None
    return page(request, "login.html", None, next=safe_next(next), error=ended)


@router.post("/ui/login", dependencies=[Csrf])
def login(
    request: Request, token: Annotated[str, Form(max_length=4000)], next: Annotated[str, Form(max_length=2000)] = ""
) -> Response:
    """The token a user has for the API (``leads token``), checked exactly as a bearer token."""
    try:
        principal_of(request, token.strip())
    except Unauthenticated as e:
        return page(request, "login.html", None, status=401, next=safe_next(next), error=str(e))
    response = RedirectResponse(safe_next(next), status_code=303)
    start_session(request, response, token.strip())
    return response


@router.post("/ui/logout", dependencies=[Csrf])
def logout() -> Response:
    response = RedirectResponse("/ui/login", status_code=303)
    end_session(response)
    return response
