"""Who is calling and what they may do: bearer tokens (JWT, HS256, signed with the configured
key) carrying a user, a role and, for managers, the team they manage.

Roles and permissions follow the product brief: reps see and change their own leads and the
ones they follow, managers their team's, auditors read and replay, integrations create and
change through the API like a service account.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import jwt

from domain.lead import Lead


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    REP = "rep"
    AUDITOR = "auditor"
    INTEGRATION = "integration"


class Permission(StrEnum):
    VIEW = "view"
    CREATE = "create"
    EDIT = "edit"
    ARCHIVE = "archive"
    EXPORT = "export"
    REPLAY = "replay"
    ERASE = "erase"


P = Permission
MATRIX: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(P),
    Role.MANAGER: frozenset({P.VIEW, P.CREATE, P.EDIT, P.ARCHIVE, P.EXPORT, P.REPLAY}),
    Role.REP: frozenset({P.VIEW, P.CREATE, P.EDIT}),
    Role.AUDITOR: frozenset({P.VIEW, P.EXPORT, P.REPLAY}),
    Role.INTEGRATION: frozenset({P.VIEW, P.CREATE, P.EDIT}),
}


class Unauthenticated(Exception):
    """No token, or one that is invalid or expired."""


class Forbidden(Exception):
    """The caller's role or scope does not allow this."""


@dataclass(frozen=True)
class Principal:
    user: str
    role: Role
    team: frozenset[str] = field(default_factory=frozenset)

    def require(self, permission: Permission) -> None:
        if permission not in MATRIX[self.role]:
            raise Forbidden(f"role {self.role} may not {permission}")

    def may_touch(self, lead: Lead) -> bool:
        """Reps: their own leads, the ones they follow or captured unassigned; managers: also
        their team's and unassigned ones; everyone else: all leads."""
        if self.role is Role.REP:
            return self.user in (lead.owner, *lead.followers) or (lead.owner is None and lead.captured_by == self.user)
        if self.role is Role.MANAGER:
            return (
                lead.owner is None or lead.owner == self.user or lead.owner in self.team or self.user in lead.followers
            )
        return True

    def require_lead(self, permission: Permission, load: Callable[[], Lead]) -> None:
        """Check the role, then (only for roles limited to some leads) load the lead to check its scope."""
        self.require(permission)
        if self.role in (Role.REP, Role.MANAGER):
            lead = load()
            if not self.may_touch(lead):
                raise Forbidden(f"lead {lead.id} is outside what {self.user} ({self.role}) may {permission}")


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
