"""The directory of users and teams: who may sign in, as which roles, and who works leads.

One aggregate holds the whole directory (people are few and change rarely), so a user's name is
unique by construction and every change is one event in its history. Round-robin turns live per
team in :class:`~domain.rotation.Rotation`, so captures never contend on the directory.

A user's ``capacity`` is the most leads in progress they hold that routing may give them; a
manual assignment may go past it. ``away`` users keep their leads but get no new ones;
``inactive`` users cannot sign in and their open leads are routed again.
"""

from __future__ import annotations

from typing import Annotated
from uuid import NAMESPACE_URL, uuid5

from pydantic import Field, field_validator, model_validator

from domain.access import Role
from domain.base import Aggregate
from domain.errors import InvalidCommand, NotFound
from domain.limits import Items, ShortText, Text
from domain.picklists import Picklist
from domain.values import Email, EventMeta, Frozen

DIRECTORY_ID = uuid5(NAMESPACE_URL, "urn:leads-engine:directory")

HANDLE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@+-]*$"
Handle = Annotated[str, Text("name", blank=False), Field(pattern=HANDLE_PATTERN, examples=["rep-7"])]
"""A user's or team's name as tokens, owners and URLs carry it: letters, digits and ``._@+-``."""

Labels = Annotated[tuple[Annotated[str, Text("short_text", blank=False)], ...], Items("tags")]


class UserStatus(Picklist):
    ACTIVE = "active"
    AWAY = "away"
    """On leave: keeps their leads, gets no new ones."""
    INACTIVE = "inactive"
    """Gone: cannot sign in; their open leads are routed to others."""


class UserProfile(Frozen):
    """What an admin says about a user."""

    display_name: ShortText | None = None
    email: Email | None = None
    roles: tuple[Role, ...] = Field(min_length=1, max_length=len(Role), examples=[["rep"]])
    capacity: int = Field(
        default=50, ge=0, le=100_000, strict=True, description="The most leads in progress routing gives them (0: none)"
    )
    territories: Labels = Field(default=(), description="Free labels, e.g. countries or regions they cover")
    skills: Labels = Field(default=(), description="Free labels, e.g. industries or languages")

    @field_validator("roles")
    @classmethod
    def _distinct_roles(cls, roles: tuple[Role, ...]) -> tuple[Role, ...]:
        if len(set(roles)) != len(roles):
            raise ValueError("roles must be distinct")
        return roles


class User(Frozen):
    name: Handle
    profile: UserProfile
    status: UserStatus = UserStatus.ACTIVE

    @property
    def routable(self) -> bool:
        """May routing give them a lead now (capacity aside)?"""
        return self.status is UserStatus.ACTIVE and self.profile.capacity > 0


class TeamRoster(Frozen):
    members: Annotated[tuple[Handle, ...], Items("list_items")] = Field(
        default=(), description="Who works the team's leads, in rotation order"
    )
    managers: Annotated[tuple[Handle, ...], Items("list_items")] = Field(
        default=(), description="Who sees and manages the members' leads"
    )

    @model_validator(mode="after")
    def _distinct(self) -> TeamRoster:
        for field in ("members", "managers"):
            names = getattr(self, field)
            if len(set(names)) != len(names):
                raise ValueError(f"{field} must be distinct")
        return self


class Directory(Aggregate):
    class Opened(Aggregate.Created):
        def apply(self, directory: Directory) -> None:
            pass

    class UserAdded(Aggregate.Event):
        name: Handle
        profile: UserProfile

        def apply(self, directory: Directory) -> None:
            directory.users[self.name] = User(name=self.name, profile=self.profile)

    class UserProfileChanged(Aggregate.Event):
        name: Handle
        profile: UserProfile

        def apply(self, directory: Directory) -> None:
            user = directory.users[self.name]
            directory.users[self.name] = user.model_copy(update={"profile": self.profile})

    class UserStatusChanged(Aggregate.Event):
        name: Handle
        status: UserStatus

        def apply(self, directory: Directory) -> None:
            user = directory.users[self.name]
            directory.users[self.name] = user.model_copy(update={"status": self.status})

    class TeamRosterChanged(Aggregate.Event):
        """A team formed, or its members or managers changed: the whole new roster."""

        name: Handle
        roster: TeamRoster

        def apply(self, directory: Directory) -> None:
            directory.teams[self.name] = self.roster

    def __init__(self) -> None:
        self.users: dict[str, User] = {}
        self.teams: dict[str, TeamRoster] = {}

    @classmethod
    def open(cls, *, meta: EventMeta) -> Directory:
        return cls._create(cls.Opened, id=DIRECTORY_ID, meta=meta)

    # -- reading --------------------------------------------------------------------------------

    def user(self, name: str) -> User:
        if name not in self.users:
            raise NotFound("user", name)
        return self.users[name]

    def team(self, name: str) -> TeamRoster:
        if name not in self.teams:
            raise NotFound("team", name)
        return self.teams[name]

    def teams_of(self, name: str) -> list[str]:
        """The teams ``name`` is a member of."""
        return sorted(team for team, roster in self.teams.items() if name in roster.members)

    def managed_by(self, name: str) -> list[str]:
        return sorted(team for team, roster in self.teams.items() if name in roster.managers)

    def team_users(self, manager: str) -> frozenset[str]:
        """Everyone on the teams ``manager`` manages: whose leads a manager sees."""
        return frozenset(m for team in self.managed_by(manager) for m in self.teams[team].members)

    # -- commands -------------------------------------------------------------------------------

    def add_user(self, *, name: str, profile: UserProfile, meta: EventMeta) -> None:
        if name in self.users:
            raise InvalidCommand(f"a user named {name} exists; change their profile instead", field="name")
        self.trigger_event(self.UserAdded, name=name, profile=profile, meta=meta)

    def change_profile(self, *, name: str, profile: UserProfile, meta: EventMeta) -> None:
        if self.user(name).profile != profile:
            self.trigger_event(self.UserProfileChanged, name=name, profile=profile, meta=meta)

    def change_status(self, *, name: str, status: UserStatus, meta: EventMeta) -> None:
        if self.user(name).status is not status:
            self.trigger_event(self.UserStatusChanged, name=name, status=status, meta=meta)

    def set_roster(self, *, team: str, roster: TeamRoster, meta: EventMeta) -> None:
        """Form a team or change who is on it; everyone named must be a user."""
        unknown = sorted({*roster.members, *roster.managers} - set(self.users))
        if unknown:
            raise InvalidCommand(f"not users of the directory: {', '.join(unknown)}", field="members")
        if self.teams.get(team) != roster:
            self.trigger_event(self.TeamRosterChanged, name=team, roster=roster, meta=meta)
