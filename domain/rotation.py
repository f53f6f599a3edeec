"""Whose turn it is in a team: round-robin that is fair by construction.

Each member has a tally of the turns they took. The next lead goes to the eligible member with
the lowest tally, and among equals to the first after the last one chosen, in roster order
(never to whoever joined first: Odoo's tie-break by creation date gave its oldest member every
leftover lead). A member who was away or full comes back at the team's current ``floor`` (the
tally of the latest choice) rather than at their old tally, so a return never brings a burst.

Among members eligible throughout, tallies stay within one of each other: the chosen one had
the lowest, goes up by one, and returners start at the floor. The state lives in the event
store, one aggregate per team, so concurrent writers serialise on its version; never in a
process's memory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import Field

from domain.base import Aggregate
from domain.directory import Handle
from domain.errors import InvalidCommand
from domain.values import EventMeta

ROTATION_NAMESPACE = uuid5(NAMESPACE_URL, "urn:leads-engine:rotation")
SNAPSHOT_EVERY = 200
"""Turns between snapshots of a rotation, so loading one never replays a team's whole history."""


def rotation_id(team: str) -> UUID:
    return uuid5(ROTATION_NAMESPACE, team)


class Rotation(Aggregate):
    class Started(Aggregate.Created):
        team: Handle

        def apply(self, rotation: Rotation) -> None:
            rotation.team = self.team

    class RosterChanged(Aggregate.Event):
        """The team's members, in rotation order. Who of them may be chosen is decided per lead
        (active, not full), so going away and coming back never touches the rotation."""

        members: tuple[Handle, ...]

        def apply(self, rotation: Rotation) -> None:
            rotation.members = list(self.members)

    class TurnTaken(Aggregate.Event):
        member: Handle
        lead_id: UUID
        counted: bool = Field(description="Round-robin turns count in the tally; load balancing only moves the pointer")

        def apply(self, rotation: Rotation) -> None:
            if self.counted:
                level = rotation.level(self.member)
                rotation.floor = level
                rotation.tallies[self.member] = level + 1
            rotation.last = self.member

    snapshot_every: ClassVar[int] = SNAPSHOT_EVERY

    def __init__(self) -> None:
        self.team = ""
        self.members: list[str] = []
        self.tallies: dict[str, int] = {}
        self.floor = 0
        self.last: str | None = None
        self.loaded_version = 0
        """The version it had when loaded (to tell when a save passes a snapshot point)."""

    @classmethod
    def start(cls, *, team: str, meta: EventMeta) -> Rotation:
        return cls._create(cls.Started, id=rotation_id(team), team=team, meta=meta)

    def level(self, member: str) -> int:
        """A member's tally as the rotation counts it: never below the floor."""
        return max(self.tallies.get(member, 0), self.floor)

    def in_turn_order(self, eligible: Sequence[str]) -> list[str]:
        """``eligible`` members in roster order, starting after the last one chosen."""
        order = [m for m in self.members if m in set(eligible)]
        if self.last in self.members:
            after = self.members.index(self.last)
            order = [m for m in self.members[after + 1 :] + self.members[: after + 1] if m in order]
        return order

    def next_by_turn(self, eligible: Sequence[str]) -> str | None:
        """Round robin: the lowest tally among ``eligible``, the first after the last chosen among equals."""
        order = self.in_turn_order(eligible)
        if not order:
            return None
        lowest = min(self.level(m) for m in order)
        return next(m for m in order if self.level(m) == lowest)

    def next_by_load(self, eligible: Sequence[str], load: Mapping[str, float]) -> str | None:
        """Load balancing: the fewest leads for their capacity (``load``: open/capacity), the first
        after the last chosen among equals."""
        order = self.in_turn_order(eligible)
        if not order:
            return None
        lightest = min(load.get(m, 0.0) for m in order)
        return next(m for m in order if load.get(m, 0.0) == lightest)

    def set_members(self, *, members: Sequence[str], meta: EventMeta) -> None:
        if list(members) != self.members:
            self.trigger_event(self.RosterChanged, members=tuple(members), meta=meta)

    def take_turn(self, *, member: str, lead_id: UUID, counted: bool, meta: EventMeta) -> None:
        if member not in self.members:
            raise InvalidCommand(f"{member} is not a member of team {self.team}", field="member")
        self.trigger_event(self.TurnTaken, member=member, lead_id=lead_id, counted=counted, meta=meta)
