"""Admin commands on the directory and the rule list, and the cached reads routing relies on.

A change to a user or a team is saved with what it means for routing, in one transaction: the
rotations of the teams it touches (who may be chosen, and their turns' row moved on, so a writer
still choosing from the old roster is refused) and the user's gate in the workloads
(capacity, and whether routing may give them leads). So an away user is never chosen, however
stale another process's cache is: the gate refuses the save and the lead is routed again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Repository
from eventsourcing.persistence import EventStore
from pydantic import BaseModel, ConfigDict, Field

from domain.assignment import RULES_ID, RoutingRules
from domain.base import Aggregate, DomainEvent, Snapshot
from domain.command_handling import CommandApplication, CommandResult
from domain.directory import DIRECTORY_ID, Directory, Handle, TeamRoster, UserProfile, UserStatus
from domain.errors import VersionConflict
from domain.ports import Workloads
from domain.rotation import Rotation, rotation_id
from domain.routing import Rule
from domain.values import EventMeta

A = TypeVar("A", bound=Aggregate)
SYSTEM = EventMeta(actor="system:routing")
"""Who starts what nobody created yet (an empty directory or rule list read before any change)."""


class RoutingSettings(BaseModel):
    """How routing behaves (``LEADS_ROUTING__*``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fallback_queue: Handle = Field(
        default="triage", description="Where a lead waits when no rule applies or nobody is available"
    )
    cache_s: float = Field(
        default=1.0, ge=0, le=60, description="How long a process reuses the rules and directory it read"
    )
    attempts: int = Field(default=30, ge=2, le=100, description="Tries to save a routed lead before the fallback")


class ManagesDirectory(CommandApplication):
    workloads: Workloads
    routing_settings = RoutingSettings()

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env)
        self._cache_lock = threading.Lock()
        self._cached: dict[UUID, tuple[float, Aggregate]] = {}
        self._rotations: dict[str, Rotation] = {}
        snapshots = EventStore(mapper=self.mapper, recorder=self.factory.aggregate_recorder(purpose="snapshots"))
        self.rotation_repository: Repository[UUID] = Repository(
            event_store=self.events, snapshot_store=snapshots, cache_maxsize=1_000, fastforward=True
        )

    # -- reads ----------------------------------------------------------------------------------

    def directory(self, *, fresh: bool = False) -> Directory:
        """The directory, as read within the last ``cache_s`` seconds unless ``fresh``."""
        return self._read(DIRECTORY_ID, Directory, fresh=fresh, new=lambda: Directory.open(meta=SYSTEM))

    def routing_rules(self, *, fresh: bool = False) -> RoutingRules:
        return self._read(RULES_ID, RoutingRules, fresh=fresh, new=lambda: RoutingRules.open(meta=SYSTEM))

    def directory_history(self) -> list[DomainEvent]:
        return [e for e in self.events.get(DIRECTORY_ID) if isinstance(e, DomainEvent)]

    def rules_history(self) -> list[DomainEvent]:
        return [e for e in self.events.get(RULES_ID) if isinstance(e, DomainEvent)]

    def _read(self, key: UUID, cls: type[A], *, fresh: bool, new: Callable[[], A]) -> A:
        """Once ``cache_s`` has passed, the copy read is asked only whether it has events after
        it (one indexed query), and read again, whole, only if so: a rule list of 100 rules
        costs tens of milliseconds to decode and validate, and changes rarely."""
        now = time.monotonic()
        with self._cache_lock:
            hit = self._cached.get(key)
        if hit and not fresh and now - hit[0] < self.routing_settings.cache_s:
            found = hit[1]
        elif hit and not fresh and not self.recorder.select_events(key, gt=hit[1].version, limit=1):
            found = hit[1]
            with self._cache_lock:
                self._cached[key] = (now, found)
        else:
            try:
                found = self.repository.get(key)
            except AggregateNotFoundError:
                found = new()
            with self._cache_lock:
                self._cached[key] = (now, found)
        assert isinstance(found, cls)
        return found

    def _forget(self) -> None:
        with self._cache_lock:
            self._cached.clear()

    # -- directory commands ---------------------------------------------------------------------

    def add_user(self, *, name: str, profile: UserProfile, meta: EventMeta) -> CommandResult:
        return self._change_directory("add_user", meta, lambda d: d.add_user(name=name, profile=profile, meta=meta))

    def change_user(self, *, name: str, profile: UserProfile, meta: EventMeta) -> CommandResult:
        return self._change_directory(
            "change_user", meta, lambda d: d.change_profile(name=name, profile=profile, meta=meta)
        )

    def change_user_status(self, *, name: str, status: UserStatus, meta: EventMeta) -> CommandResult:
        return self._change_directory(
            "change_user_status", meta, lambda d: d.change_status(name=name, status=status, meta=meta)
        )

    def set_team(self, *, name: str, roster: TeamRoster, meta: EventMeta) -> CommandResult:
        return self._change_directory("set_team", meta, lambda d: d.set_roster(team=name, roster=roster, meta=meta))

    def publish_rules(self, *, rules: tuple[Rule, ...], meta: EventMeta) -> CommandResult:
        """Check the whole list against the directory and record it as the next revision."""

        def act() -> list[Aggregate]:
            current = self._fresh(RULES_ID, lambda: RoutingRules.open(meta=meta))
            current.publish(rules=rules, directory=self.directory(fresh=True), meta=meta)
            return [current]

        return self._admin("publish_rules", meta, act)

    def _change_directory(self, command: str, meta: EventMeta, act: Callable[[Directory], None]) -> CommandResult:
        """Act on the directory and save it with the rotations and gates the change touches."""

        def change() -> list[Aggregate]:
            directory = self._fresh(DIRECTORY_ID, lambda: Directory.open(meta=meta))
            users, teams = dict(directory.users), dict(directory.teams)
            act(directory)
            return [directory, *self._follow(directory, users, teams, meta)]

        return self._admin(command, meta, change)

    def _admin(self, command: str, meta: EventMeta, act: Callable[[], list[Aggregate]]) -> CommandResult:
        """Load fresh, act, save (the first aggregate ``act`` returns is the command's own);
        tried again on fresh state when another writer saved first. Every process then reads
        the change within ``cache_s``; this one at once."""
        for attempt in range(self.routing_settings.attempts):
            done = self._previous_result(command, meta)
            if done:
                return done
            changed = act()
            try:
                result = self._save(command, meta, changed[0], *changed)
            except VersionConflict:
                self.forget_rotations([r for r in changed if isinstance(r, Rotation)])
                if attempt == self.routing_settings.attempts - 1:
                    raise
                continue
            self._forget()
            return result
        raise AssertionError("unreachable")  # pragma: no mutate

    def _follow(
        self, directory: Directory, users: Mapping[str, object], teams: Mapping[str, TeamRoster], meta: EventMeta
    ) -> list[Rotation]:
        """Stage the gates of users whose routing changed, and bring the rotation of each team
        whose roster changed up to date (a status change touches no rotation, so it never
        contends with the captures taking turns)."""
        for name, user in directory.users.items():
            if users.get(name) != user:
                self.workloads.stage_gate(name, capacity=user.profile.capacity, routable=user.routable)
        rotations = []
        for team, roster in directory.teams.items():
            if teams.get(team) != roster:
                rotation = self.rotation(team, meta=meta)
                rotation.set_members(members=roster.members, meta=meta)
                rotations.append(rotation)
        return rotations

    def _fresh(self, key: UUID, new: Callable[[], A]) -> A:
        try:
            found: A = self.repository.get(key)
        except AggregateNotFoundError:
            found = new()
        return found

    # -- rotations ------------------------------------------------------------------------------

    def rotation(self, team: str, *, meta: EventMeta | None = None) -> Rotation:
        """A team's rotation to act on: the one a batch in progress holds, else a copy of the
        last one this process saved (no query; a stale copy fails its save and is forgotten),
        else its roster as the library's cached copy brought up to date with the events since,
        or loaded from its snapshot and the events since, else a new one (``meta``: whose);
        with the tallies of the team's row in the workloads (one query) once it has one."""
        uow = self._uow
        if uow and rotation_id(team) in uow.aggregates:
            held = uow.aggregates[rotation_id(team)]
            assert isinstance(held, Rotation)
            return held
        with self._cache_lock:
            cached = self._rotations.get(team)
        if cached is not None:
            return cached.twin()
        try:
            loaded: Aggregate = self.rotation_repository.get(rotation_id(team))
        except AggregateNotFoundError:
            loaded = Rotation.start(team=team, meta=meta or SYSTEM)
        assert isinstance(loaded, Rotation)
        loaded.loaded_version = loaded.version
        turns = self.workloads.turns(team)
        if turns is not None:
            loaded.adopt(turns)
        return loaded

    def _before_save(self, aggregates: Sequence[Aggregate]) -> None:
        """Stage the row of each rotation moved in this save and not staged with a lead (a
        roster change)."""
        for rotation in aggregates:
            if isinstance(rotation, Rotation) and rotation.moved:
                self.workloads.stage_turns(rotation.staged_turns())
        super()._before_save(aggregates)

    def _after_save(self, aggregates: Sequence[Aggregate]) -> None:
        self.remember_rotations([r for r in aggregates if isinstance(r, Rotation)])

    def remember_rotations(self, rotations: list[Rotation]) -> None:
        """After they were saved: keep them for the next decision, and snapshot a long history."""
        for rotation in rotations:
            every = rotation.snapshot_every
            if rotation.version // every > rotation.loaded_version // every:
                self.rotation_repository.snapshot_store.put([Snapshot.take(rotation)])  # type: ignore[union-attr]
            rotation.loaded_version = rotation.version
            with self._cache_lock:
                self._rotations[rotation.team] = rotation

    def forget_rotations(self, rotations: list[Rotation]) -> None:
        with self._cache_lock:
            for rotation in rotations:
                self._rotations.pop(rotation.team, None)
