"""Bearer tokens for tests, signed with the engine's own key."""

from __future__ import annotations

from api.auth import Role, issue_token
from infra.settings import Settings


def bearer(
    settings: Settings, user: str = "admin-1", role: Role = Role.ADMIN, team: list[str] | None = None
) -> dict[str, str]:
    token = issue_token(key=settings.signing_key(), user=user, role=role, team=team)
    return {"Authorization": f"Bearer {token}"}
