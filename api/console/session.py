"""The console's login: the same bearer tokens as the JSON API, kept in a cookie the page's
scripts cannot read (HttpOnly), sent only to this site (SameSite=Strict) and only over TLS when
the console is served over TLS (Secure). Every form post carries a CSRF token that must equal
the one in a second cookie (double submit): another site can make a browser send our cookies,
but cannot read them to copy the token into the form."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request, Response

from api.auth import Unauthenticated, principal_from
from api.deps import get_backend
from domain.access import Principal

SESSION_COOKIE = "leads_session"
CSRF_COOKIE = "leads_csrf"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
SESSION_HOURS = 12


class LoginRequired(Exception):
    """No session cookie, or one whose token is no longer valid: go to the login page."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CsrfRefused(Exception):
    """A form post whose CSRF token is missing or does not match the cookie's."""


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def csrf_token(request: Request) -> str:
    """The token of this browser (from its cookie), or a new one the response will set."""
    existing = request.cookies.get(CSRF_COOKIE, "")
    if 20 <= len(existing) <= 100 and existing.replace("-", "").replace("_", "").isalnum():
        return existing
    token: str | None = getattr(request.state, "new_csrf", None)
    if token is None:
        token = secrets.token_urlsafe(32)
        request.state.new_csrf = token
    return token


def keep_csrf(request: Request, response: Response) -> None:
    """Set the CSRF cookie if this request made a new token. Readable by the page (not HttpOnly):
    that is the point of double submit; it grants nothing by itself."""
    token = getattr(request.state, "new_csrf", None)
    if token is not None:
        response.set_cookie(CSRF_COOKIE, token, httponly=False, secure=is_https(request), samesite="strict", path="/ui")


def start_session(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        secure=is_https(request),
        samesite="strict",
        path="/ui",
    )
    keep_csrf(request, response)


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/ui")


def principal_of(request: Request, token: str) -> Principal:
    """The caller a token names, checked exactly as the JSON API checks a bearer token."""
    backend = get_backend(request)
    return principal_from(token, key=backend.config.signing_key, directory=backend.service.directory())


def session_principal(request: Request) -> Principal:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise LoginRequired("sign in with your token")
    try:
        return principal_of(request, token)
    except Unauthenticated as e:
        raise LoginRequired(str(e)) from None


async def check_csrf(request: Request) -> None:
    """Every state-changing request of the console: the form field (or htmx's header) must
    equal the cookie, compared in constant time."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else ""
    if not cookie or not hmac.compare_digest(cookie.encode(), sent.encode()):
        raise CsrfRefused("the form's CSRF token does not match this browser's; reload the page and try again")


SessionDep = Annotated[Principal, Depends(session_principal)]
Csrf = Depends(check_csrf)
