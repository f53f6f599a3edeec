"""Bearer tokens for tests, signed with the engine's own key, for users the test puts in the
directory first (tokens of unknown users are refused)."""

from __future__ import annotations

from api.auth import Role, issue_token
from domain.directory import TeamRoster, UserProfile
from domain.values import EventMeta
from infra.runtime import Engine

SETUP = EventMeta(actor="test-setup")


def ensure_user(engine: Engine, user: str, role: Role = Role.REP, **profile: object) -> None:
    """``user`` is in the directory, active, with ``role`` among their roles."""
    service = engine.service
    known = service.directory(fresh=True).users.get(user)
    if known is None:
        service.add_user(name=user, profile=UserProfile.model_validate({"roles": [role], **profile}), meta=SETUP)
    elif role not in known.profile.roles:
        roles = (*known.profile.roles, role)
        service.change_user(name=user, profile=known.profile.model_copy(update={"roles": roles}), meta=SETUP)


def bearer(
    engine: Engine, user: str = "admin-1", role: Role = Role.ADMIN, team: list[str] | None = None
) -> dict[str, str]:
    """A token for ``user`` with ``role``; ``team``: the reps of a team they manage."""
    ensure_user(engine, user, role)
    if team:
        for member in team:
            ensure_user(engine, member)
        roster = TeamRoster(members=tuple(team), managers=(user,))
        engine.service.set_team(name=f"team-of-{user}", roster=roster, meta=SETUP)
    token = issue_token(key=engine.settings.signing_key(), user=user, role=role)
    return {"Authorization": f"Bearer {token}"}
