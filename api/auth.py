"""Who is calling: bearer tokens (JWT, HS256, signed with the configured key) naming a user of
the directory and one of their roles. The directory says the rest: an inactive user's token is
refused, and a manager's team and a member's queues come from it. What each role may do is the
domain's one table (``domain.access``); routes declare the action they need with
:func:`permission`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from domain.access import Action, Principal, Role
from domain.directory import Directory, UserStatus

__all__ = ["Action", "Principal", "Role", "Unauthenticated", "issue_token", "permission", "principal_from"]

bearer = HTTPBearer(auto_error=False, description="JWT from `leads token`")


class Unauthenticated(Exception):
    """No token, or one that is invalid or expired."""


def issue_token(*, key: str, user: str, role: Role, hours: int = 12) -> str:
    now = datetime.now(UTC)
    claims = {"sub": user, "role": role.value, "iat": now, "exp": now + timedelta(hours=hours)}
    return jwt.encode(claims, key, algorithm="HS256")


def principal_from(token: str, *, key: str, directory: Directory) -> Principal:
    try:
        claims = jwt.decode(token, key, algorithms=["HS256"], options={"require": ["sub", "role", "exp"]})
        name, role = str(claims["sub"]), Role(claims["role"])
    except (jwt.PyJWTError, ValueError) as e:
        raise Unauthenticated(f"invalid bearer token: {e}") from None
    user = directory.users.get(name)
    if user is None:
        raise Unauthenticated(f"the token names {name}, who is not in the directory (an admin adds users: POST /users)")
    if user.status is UserStatus.INACTIVE:
        raise Unauthenticated(f"{name} is inactive")
    if role not in user.profile.roles:
        raise Unauthenticated(f"{name} does not have the role {role}")
    queues = frozenset(directory.teams_of(name)) | frozenset(directory.managed_by(name))
    return Principal(user=name, role=role, team=directory.team_users(name), queues=queues)


def get_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    if credentials is None:
        raise Unauthenticated("send a bearer token (Authorization: Bearer ...); `leads token` issues one")
    backend = request.app.state.backend
    return principal_from(
        credentials.credentials, key=backend.config.signing_key, directory=backend.service.directory()
    )


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
