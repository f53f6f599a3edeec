"""The directory over HTTP: users and teams, managed by admins; every change is an event."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from api.auth import Action as A
from api.auth import permission
from api.deps import MetaDep, PrincipalDep, ServiceDep
from api.routing_models import (
    RouteRefusal,
    RouteResult,
    TeamPublic,
    UserCreate,
    UserPublic,
    UserStatusChange,
)
from domain.directory import HANDLE_PATTERN, Directory, TeamRoster, UserProfile, UserStatus
from domain.errors import NotFound
from domain.routes_leads import RouteOutcome

router = APIRouter(tags=["directory"])
HandlePath = Annotated[str, Path(pattern=HANDLE_PATTERN, max_length=200, examples=["rep-7"])]


def user_public(directory: Directory, name: str) -> UserPublic:
    user = directory.user(name)
    return UserPublic(
        name=user.name,
        status=user.status,
        profile=user.profile,
        teams=directory.teams_of(name),
        manages=directory.managed_by(name),
    )


def route_result(outcomes: list[RouteOutcome]) -> RouteResult:
    return RouteResult(
        routed=[o.lead_id for o in outcomes if o.done],
        refused=[RouteRefusal(lead_id=o.lead_id, reason=o.reason or "") for o in outcomes if not o.done],
    )


@router.get("/users", response_model=list[UserPublic], **permission(A.VIEW))
def list_users(service: ServiceDep) -> list[UserPublic]:
    directory = service.directory()
    return [user_public(directory, name) for name in sorted(directory.users)]


@router.post("/users", status_code=status.HTTP_201_CREATED, response_model=UserPublic, **permission(A.ADMINISTER))
def add_user(body: UserCreate, service: ServiceDep, meta: MetaDep) -> UserPublic:
    profile = UserProfile.model_validate(body.model_dump(exclude={"name"}))
    service.add_user(name=body.name, profile=profile, meta=meta)
    return user_public(service.directory(fresh=True), body.name)


@router.get("/users/{name}", response_model=UserPublic, **permission(A.VIEW))
def get_user(name: HandlePath, service: ServiceDep) -> UserPublic:
    return user_public(service.directory(), name)


@router.put("/users/{name}", response_model=UserPublic, **permission(A.ADMINISTER))
def change_user(name: HandlePath, body: UserProfile, service: ServiceDep, meta: MetaDep) -> UserPublic:
    """Replace the user's profile (roles, capacity, territories, skills...)."""
    service.change_user(name=name, profile=body, meta=meta)
    return user_public(service.directory(fresh=True), name)


@router.put("/users/{name}/status", response_model=RouteResult, **permission(A.ADMINISTER))
def change_user_status(name: HandlePath, body: UserStatusChange, service: ServiceDep, meta: MetaDep) -> RouteResult:
    """Active, away or inactive. Making a user inactive routes every lead they hold in progress
    again by the rules, each lead on its own: the answer lists them (repeating the request routes
    whatever they still hold)."""
    if body.status is UserStatus.INACTIVE:
        return route_result(service.deactivate_user(name=name, meta=meta))
    service.change_user_status(name=name, status=body.status, meta=meta)
    return RouteResult(routed=[])


def team_public(directory: Directory, name: str) -> TeamPublic:
    roster = directory.team(name)
    available = [m for m in roster.members if directory.users[m].routable]
    return TeamPublic(name=name, members=roster.members, managers=roster.managers, available=available)


@router.get("/teams", response_model=list[TeamPublic], **permission(A.VIEW))
def list_teams(service: ServiceDep, principal: PrincipalDep) -> list[TeamPublic]:
    """Every team for those who see every lead; otherwise the teams one is on or manages."""
    directory = service.directory()
    names = sorted(directory.teams)
    if principal.scope(A.VIEW) is not None:
        names = [n for n in names if n in principal.queues]
    return [team_public(directory, n) for n in names]


@router.get("/teams/{name}", response_model=TeamPublic, **permission(A.VIEW))
def get_team(name: HandlePath, service: ServiceDep, principal: PrincipalDep) -> TeamPublic:
    if principal.scope(A.VIEW) is not None and name not in principal.queues:
        raise NotFound("team", name)
    return team_public(service.directory(), name)


@router.put("/teams/{name}", response_model=TeamPublic, **permission(A.ADMINISTER))
def set_team(name: HandlePath, body: TeamRoster, service: ServiceDep, meta: MetaDep) -> TeamPublic:
    """Form the team, or replace its members (in rotation order) and managers."""
    service.set_team(name=name, roster=body, meta=meta)
    return team_public(service.directory(fresh=True), name)
