"""Rendering console pages: the templates, what every page is given (the caller, what their
role may do, the CSRF token, the unread count), and a refused command as a message with the
HTTP status the JSON API would have answered."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import uuid4

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from api.console.session import CSRF_FIELD, CSRF_HEADER, csrf_token, keep_csrf
from api.deps import get_backend
from api.errors import STATUS
from domain.access import Action, Principal
from domain.duplicates import PossibleDuplicate
from domain.errors import DomainError, QualificationRequirementsUnmet

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals |= {"csrf_field": CSRF_FIELD, "csrf_header": CSRF_HEADER}


def page(
    request: Request, template: str, principal: Principal | None, *, status: int = 200, **context: Any
) -> HTMLResponse:
    """A page for ``principal``: controls are shown only for actions their role has
    (``may('edit')``); the routes refuse the rest anyway."""
    unread = 0
    if principal is not None:
        unread = len(get_backend(request).queries.inbox(principal.user, unread_only=True, limit=100).rows)
    response = templates.TemplateResponse(
        request,
        template,
        {
            "me": principal,
            "may": (lambda action: principal is not None and principal.may(Action(action))),
            "csrf": csrf_token(request),
            "command_key": uuid4().hex,
            "unread_count": unread,
            **context,
        },
        status_code=status,
    )
    keep_csrf(request, response)
    return response


def refusal(exc: Exception) -> tuple[int, str]:
    """The status the JSON API answers for this error, and a sentence for the page."""
    if isinstance(exc, ValidationError):
        reasons = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in exc.errors())
        return 422, reasons
    if isinstance(exc, PossibleDuplicate):
        return 409, f"{exc}: " + ", ".join(c.contact_name for c in exc.candidates)
    status = next((s for cls, s, _ in STATUS if isinstance(exc, cls)), 400)
    message = str(exc)
    if isinstance(exc, QualificationRequirementsUnmet):
        message = f"{message} (missing: {', '.join(exc.missing)})"
    return status, message


REFUSED = (DomainError, ValidationError)
"""What a console form can be refused with: shown on the page, never a 500."""
