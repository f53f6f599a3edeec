"""Who is calling: bearer tokens (JWT, HS256, signed with the configured key) carrying a user, a
role and, for managers, the users of their team. What each role may do is the domain's one
table (``domain.access``); routes declare the action they need with :func:`permission`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from domain.access import Action, Principal, Role

__all__ = ["Action", "Principal", "Role", "Unauthenticated", "issue_token", "permission", "principal_from"]

bearer = HTTPBearer(auto_error=False, description="JWT from `leads token`")


class Unauthenticated(Exception):
    """No token, or one that is invalid or expired."""


def issue_token(*, key: str, user: str, role: Role, team: list[str] | None = None, hours: int = 12) -> str:
    now = datetime.now(UTC)
    claims = {"sub": user, "role": role.value, "team": team or [], "iat": now, "exp": now + timedelta(hours=hours)}
    return jwt.encode(claims, key, algorithm="HS256")


def principal_from(token: str, *, key: str) -> Principal:
    try:
        claims = jwt.decode(token, key, algorithms=["HS256"], options={"require": ["sub", "role", "exp"]})
        return Principal(user=str(claims["sub"]), role=Role(claims["role"]), team=frozenset(claims.get("team") or []))
    except (jwt.PyJWTError, ValueError) as e:
        raise Unauthenticated(f"invalid bearer token: {e}") from None


def get_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    if credentials is None:
        raise Unauthenticated("send a bearer token (Authorization: Bearer ...); `leads token` issues one")
    return principal_from(credentials.credentials, key=request.app.state.backend.config.signing_key)


PUBLIC = "public"


def permission(action: Action | None) -> dict[str, Any]:
    """Keyword arguments of a route: the action it needs, checked against the caller's role before
    anything else is read (403), and shown in the OpenAPI document as ``x-permission``, from which
    the role tests derive every case. ``None``: a public route (forms, health)."""
    if action is None:
        return {"openapi_extra": {"x-permission": PUBLIC}}

    def role_may(principal: Annotated[Principal, Depends(get_principal)]) -> None:
        principal.require(action)

    return {"openapi_extra": {"x-permission": action.value}, "dependencies": [Depends(role_may)]}
