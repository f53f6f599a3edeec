"""Bodies and answers of the directory, the assignment rules and the queues, one per purpose."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, Field

from domain.directory import Handle, TeamRoster, UserProfile, UserStatus
from domain.limits import Items
from domain.routing import Rule


class UserCreate(UserProfile):
    """A new user: their name (what tokens and owners carry) and their profile."""

    name: Handle


class UserStatusChange(BaseModel):
    status: UserStatus = Field(
        description="`away`: keeps their leads, gets no new ones. `inactive`: cannot sign in; their leads in "
        "progress are routed again by the rules"
    )


class UserPublic(BaseModel):
    name: str
    status: UserStatus
    profile: UserProfile
    teams: list[str] = Field(description="Teams they are a member of")
    manages: list[str] = Field(description="Teams they manage")


class TeamPublic(TeamRoster):
    name: str
    available: list[str] = Field(description="Members routing may choose now (active, capacity above 0)")


class RulesBody(BaseModel):
    rules: Annotated[list[Rule], Items("routing_rules")] = Field(
        description="In order: the first enabled rule whose conditions all hold decides"
    )


class RulesPublic(BaseModel):
    revision: int = Field(description="Published revisions count up from 1; 0: no rules yet")
    rules: list[Rule]


class RulesRevision(BaseModel):
    revision: int
    published_at: datetime
    published_by: str
    rules: list[Rule]


class RouteBody(BaseModel):
    lead_ids: Annotated[list[UUID], Items("list_items")] = Field(min_length=1)


class RouteRefusal(BaseModel):
    lead_id: UUID
    reason: str


class RouteResult(BaseModel):
    """Per lead: routed again (it may have stayed where it was), or refused with the reason."""

    routed: list[UUID]
    refused: list[RouteRefusal] = Field(default_factory=list)


class QueuedLead(BaseModel):
    lead_id: UUID
    version: int
    status: str
    queued_at: datetime | None
    rule_id: str | None
    strategy: str | None
