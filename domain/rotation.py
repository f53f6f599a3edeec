"""Whose turn it is in a team: round-robin that is fair by construction.

Each member has a tally of the turns they took. The next lead goes to the eligible member with
the lowest tally, and among equals to the first after the last one chosen, in roster order
(never to whoever joined first: Odoo's tie-break by creation date gave its oldest member every
leftover lead). A member who was away or full comes back at the team's current ``floor`` (the
tally of the latest choice) rather than at their old tally, so a return never brings a burst.

Among members eligible throughout, tallies stay within one of each other: the chosen one had
the lowest, goes up by one, and returners start at the floor.

The state lives in the write store, never in a process's memory. The roster is an aggregate's
events (one per team, changed by admins). The tallies are one row per team (:class:`Turns`)
written in the transaction of the lead's ``Assigned`` event, in the statement that takes the
owner's place under their workload gate: a turn costs no event and no round trip of its own,
and the lead's ``Assigned`` event already says who got it and why. Each write names the version
of the row it was decided on, so of two writers that chose from the same state one is refused
and decides again, as with an aggregate's version. Teams whose turns were recorded as
``TurnTaken`` events before keep them: they still load, and the first row starts from them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Turns:
    """A team's round-robin state as the write store holds it. ``version`` counts the writes of
    the row: read, it is the row's; staged, it is the version the write replaces (the row then
    has ``version + 1``), and the save is refused if another writer moved it first."""

    team: str
    version: int
    tallies: Mapping[str, int]
    floor: int
    last: str | None


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
        """A turn, as recorded until turns moved to the write store's rows (:class:`Turns`):
        no longer written, still loaded, so a team's first row starts where its events left off."""

        member: Handle
        lead_id: UUID
        counted: bool = Field(description="Round-robin turns count in the tally; load balancing only moves the pointer")

        def apply(self, rotation: Rotation) -> None:
            rotation.count_turn(self.member, counted=self.counted)

    snapshot_every: ClassVar[int] = SNAPSHOT_EVERY
    turns_version: int = 0
    """The version of the team's :class:`Turns` row this state was read at (0: no row yet).
    Defaults on the class, so snapshots taken before turns had rows still load."""
    moved: bool = False
    """A turn or a roster change awaits its save: the row is written with it."""

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

    def adopt(self, turns: Turns) -> None:
        """Take the tallies from the team's row in the write store (which, once it exists, is
        ahead of any ``TurnTaken`` event)."""
        self.tallies = dict(turns.tallies)
        self.floor = turns.floor
        self.last = turns.last
        self.turns_version = turns.version

    def staged_turns(self) -> Turns:
        """The row to write with this save, over the version it was read at."""
        turns = Turns(self.team, self.turns_version, dict(self.tallies), self.floor, self.last)
        self.turns_version += 1
        self.moved = False
        return turns

    def twin(self) -> Rotation:
        """A copy to act on, leaving this one as saved (a shallow copy with its own tallies,
        roster and pending events: far cheaper than ``copy.deepcopy`` on every capture)."""
        twin = object.__new__(Rotation)
        twin.__dict__.update(self.__dict__)
        twin.members, twin.tallies, twin._pending_events = list(self.members), dict(self.tallies), []
        return twin

    def level(self, member: str) -> int:
        """A member's tally as the rotation counts it: never below the floor."""
        return max(self.tallies.get(member, 0), self.floor)

    def in_turn_order(self, eligible: Sequence[str]) -> list[str]:
        """``eligible`` members in roster order, starting after the last one chosen."""
        wanted = set(eligible)
        order = [m for m in self.members if m in wanted]
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
        """Also moves the team's row: a writer still choosing from the old roster is refused."""
        if list(members) != self.members:
            self.trigger_event(self.RosterChanged, members=tuple(members), meta=meta)
            self.moved = True

    def take_turn(self, *, member: str, counted: bool) -> None:
        """``member`` gets the lead (recorded by its ``Assigned`` event); the row follows in the save."""
        if member not in self.members:
            raise InvalidCommand(f"{member} is not a member of team {self.team}", field="member")
        self.count_turn(member, counted=counted)
        self.moved = True

    def count_turn(self, member: str, *, counted: bool) -> None:
        """Round-robin turns count in the tally; load balancing only moves the pointer."""
        if counted:
            level = self.level(member)
            self.floor = level
            self.tallies[member] = level + 1
        self.last = member
