"""The baselines: the same work done with the libraries alone, no engine code in the way."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event


class PlainLead(Aggregate):
    """The library's own declarative aggregate, with the four events the command path records."""

    @event("Registered")
    def __init__(self, name: str, email: str) -> None:
        self.name = name
        self.email = email
        self.owner: str | None = None
        self.followers: list[str] = []
        self.contacted_via: str | None = None

    @event("Contacted")
    def contact(self, via: str) -> None:
        self.contacted_via = via

    @event("Assigned")
    def assign(self, owner: str) -> None:
        self.owner = owner

    @event("Followed")
    def follow(self, user: str) -> None:
        self.followers.append(user)


class PlainApp(Application[UUID]):
    name = "plainbench"
