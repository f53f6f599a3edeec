"""Who holds which leads in progress, who routing may give one, and whose turn it is in each
team: the ``domain.ports.Workloads`` the assignment rules rely on, kept beside the event store
and written in the same transaction as the events (``KeyedApplicationRecorder`` sends what
:meth:`PostgresWorkloads.riders` gives it in the round trip that locks the events table).

``workload_gates`` has a row per directory user: leads in progress, capacity, and whether
routing may give them leads (active, not away). A routed lead takes its place with one
conditional update that also checks the gate, so two writers can never push someone past their
capacity, and a user who went away a moment ago is refused even by a process that has not seen
it yet. ``lead_holders`` says which lead counts toward whom. ``rotation_turns`` has a row per
team (``domain.rotation.Turns``), moved by the same statement that takes the chosen member's
place, only from the version the choice was made on.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from domain.errors import CapacityReached
from domain.rotation import Turns
from infra.postgres import Database
from infra.staged_writes import Rider, StagedWrites

DDL = """
SELECT pg_advisory_xact_lock(hashtext('{move}'));  -- engines starting together replace the function in turn
CREATE TABLE IF NOT EXISTS {gates} (
    owner    text    PRIMARY KEY,
    open     integer NOT NULL DEFAULT 0,
    capacity integer NOT NULL DEFAULT 0,
    routable boolean NOT NULL DEFAULT false
);
CREATE TABLE IF NOT EXISTS {holders} (
    lead_id uuid PRIMARY KEY,
    owner   text NOT NULL
);
CREATE INDEX IF NOT EXISTS lead_holders_by_owner ON {holders} (owner);
CREATE TABLE IF NOT EXISTS {turns} (
    team    text    PRIMARY KEY,
    version bigint  NOT NULL,
    floor   integer NOT NULL,
    last    text,
    tallies jsonb   NOT NULL
);
CREATE OR REPLACE FUNCTION {move}(
    p_lead uuid, p_owner text, p_routed boolean,
    p_team text, p_version bigint, p_floor integer, p_last text, p_tallies jsonb,
    OUT taken boolean, OUT turned boolean
) LANGUAGE plpgsql AS $move$
DECLARE
    previous text;
BEGIN
    -- p_lead: its previous holder (if any) is released; p_owner (if any) holds it, under
    -- their gate when p_routed. p_team: the team's turns row moves on, only from p_version.
    taken := true;
    turned := true;
    IF p_lead IS NOT NULL THEN
        DELETE FROM {holders} WHERE lead_id = p_lead RETURNING owner INTO previous;
        IF previous IS NOT NULL THEN
            UPDATE {gates} SET open = open - 1 WHERE owner = previous;
        END IF;
        IF p_owner IS NOT NULL THEN
            IF p_routed THEN
                UPDATE {gates} SET open = open + 1 WHERE owner = p_owner AND routable AND open < capacity;
                taken := FOUND;
            ELSE
                INSERT INTO {gates} AS g (owner, open) VALUES (p_owner, 1)
                    ON CONFLICT (owner) DO UPDATE SET open = g.open + 1;
            END IF;
            IF taken THEN
                INSERT INTO {holders} (lead_id, owner) VALUES (p_lead, p_owner);
            END IF;
        END IF;
    END IF;
    IF p_team IS NOT NULL THEN
        UPDATE {turns} SET version = version + 1, floor = p_floor, last = p_last, tallies = p_tallies
            WHERE team = p_team AND version = p_version;
        turned := FOUND;
        IF NOT turned AND p_version = 0 THEN  -- the team's first write (of two racing, one inserts)
            INSERT INTO {turns} (team, version, floor, last, tallies)
                VALUES (p_team, 1, p_floor, p_last, p_tallies) ON CONFLICT (team) DO NOTHING;
            turned := FOUND;
        END IF;
    END IF;
END
$move$;
"""


@dataclass(frozen=True)
class Holder:
    lead_id: UUID
    owner: str | None
    routed: bool
    turns: Turns | None = None


@dataclass(frozen=True)
class Gate:
    user: str
    capacity: int
    routable: bool


class StagedWorkloads(StagedWrites[Holder | Gate | Turns]):
    def stage_holder(self, lead_id: UUID, owner: str | None, *, routed: bool, turns: Turns | None = None) -> None:
        self.staged().append(Holder(lead_id, owner, routed, turns))

    def stage_gate(self, user: str, *, capacity: int, routable: bool) -> None:
        self.staged().append(Gate(user, capacity, routable))

    def stage_turns(self, turns: Turns) -> None:
        self.staged().append(turns)

    def loads(self, users: Iterable[str]) -> dict[str, float]:
        raise NotImplementedError

    def held_by(self, user: str) -> list[UUID]:
        raise NotImplementedError

    def turns(self, team: str) -> Turns | None:
        raise NotImplementedError


def moved_elsewhere(turns: Turns) -> IntegrityError:
    """The store's version conflict: the caller decides again on fresh state, as when two
    writers save the same aggregate version."""
    return IntegrityError(f"team {turns.team}'s rotation moved past version {turns.version}")


class PostgresWorkloads(StagedWorkloads):
    def __init__(self, db: Database, *, schema: str) -> None:
        super().__init__()
        self.db = db
        self.gates = f"{schema}.workload_gates"
        self.holders = f"{schema}.lead_holders"
        self.rotations = f"{schema}.rotation_turns"
        self.move = f"{schema}.workload_move"

    def create(self) -> None:
        with self.db.cursor() as cur:
            cur.execute(DDL.format(gates=self.gates, holders=self.holders, turns=self.rotations, move=self.move))

    def loads(self, users: Iterable[str]) -> dict[str, float]:
        with self.db.cursor() as cur:
            cur.execute(
                f"SELECT owner, open, capacity FROM {self.gates} WHERE owner = ANY(%s)",
                (list(users),),
            )
            return {owner: open_ / capacity if capacity else float("inf") for owner, open_, capacity in cur.fetchall()}

    def held_by(self, user: str) -> list[UUID]:
        with self.db.cursor() as cur:
            cur.execute(f"SELECT lead_id FROM {self.holders} WHERE owner = %s ORDER BY lead_id", (user,))
            return [UUID(str(lead)) for (lead,) in cur.fetchall()]

    def turns(self, team: str) -> Turns | None:
        with self.db.cursor() as cur:
            cur.execute(f"SELECT version, tallies, floor, last FROM {self.rotations} WHERE team = %s", (team,))
            row = cur.fetchone()
        return None if row is None else Turns(team, row[0], row[1], row[2], row[3])

    def riders(self) -> list[Rider]:
        """This thread's staged changes as statements with their values written in, one each,
        sent by the recorder inside the save's transaction in a round trip it makes anyway. A
        lead's move (and its team's turn) is a call of ``workload_move``, whose statements
        PostgreSQL plans once per session: the call itself needs next to no planning, where the
        same statements sent as text would be planned on every save."""
        riders = []
        for op in self.staged():
            if isinstance(op, Gate):
                statement = (
                    f"INSERT INTO {self.gates} (owner, capacity, routable) "
                    f"VALUES ({_literal(op.user)}, {op.capacity:d}, {_literal(op.routable)}) "
                    "ON CONFLICT (owner) DO UPDATE SET capacity = EXCLUDED.capacity, routable = EXCLUDED.routable"
                )
                riders.append(Rider(statement))
            elif isinstance(op, Turns):
                riders.append(Rider(self._moved(None, None, routed=False, turns=op), _checked(None, op)))
            else:
                statement = self._moved(op.lead_id, op.owner, routed=op.routed, turns=op.turns)
                riders.append(Rider(statement, _checked(op.owner if op.routed else None, op.turns)))
        return riders

    def _moved(self, lead: UUID | None, owner: str | None, *, routed: bool, turns: Turns | None) -> str:
        values: list[UUID | str | int | None] = [lead, owner, routed]
        if turns is None:
            values += [None] * 5
        else:
            tallies = json.dumps(dict(turns.tallies))
            values += [turns.team, turns.version, turns.floor, turns.last, tallies]
        return f"SELECT taken, turned FROM {self.move}({', '.join(map(_literal, values))})"


def _literal(value: UUID | str | int | bool | None) -> str:
    """``value`` as an SQL literal (strings always in the escape form, so the quoting holds
    whatever ``standard_conforming_strings`` says)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, UUID):
        return f"'{value}'"
    return "E'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def _checked(routed_to: str | None, turns: Turns | None) -> Callable[[Any], None]:
    """The check of a move's row: the turn moved (else a version conflict), and the routed
    owner's gate let them in (else ``CapacityReached``)."""

    def check(row: Any) -> None:
        taken, turned = (row["taken"], row["turned"]) if isinstance(row, dict) else row
        if turns is not None and not turned:
            raise moved_elsewhere(turns)
        if routed_to is not None and not taken:
            raise CapacityReached(routed_to)

    return check


class MemoryWorkloads(StagedWorkloads):
    """The same rules over dicts, for the in-memory event store of unit tests: applied when
    the save starts (the in-memory store saves whole or not at all in one call)."""

    def __init__(self) -> None:
        super().__init__()
        self.gates: dict[str, list[Any]] = {}
        self.holders: dict[UUID, str] = {}
        self.rotations: dict[str, Turns] = {}

    def loads(self, users: Iterable[str]) -> dict[str, float]:
        return {u: g[0] / g[1] if g[1] else float("inf") for u in users if (g := self.gates.get(u))}

    def held_by(self, user: str) -> list[UUID]:
        return sorted(lead for lead, owner in self.holders.items() if owner == user)

    def turns(self, team: str) -> Turns | None:
        return self.rotations.get(team)

    def before_save(self) -> None:
        gates = {u: list(g) for u, g in self.gates.items()}
        holders = dict(self.holders)
        rotations = dict(self.rotations)
        for op in self.staged():
            turns = op if isinstance(op, Turns) else getattr(op, "turns", None)
            if turns is not None:
                if rotations.get(turns.team, Turns(turns.team, 0, {}, 0, None)).version != turns.version:
                    raise moved_elsewhere(turns)
                rotations[turns.team] = Turns(turns.team, turns.version + 1, turns.tallies, turns.floor, turns.last)
            if isinstance(op, Gate):
                gates.setdefault(op.user, [0, 0, False])[1:] = [op.capacity, op.routable]
                continue
            if not isinstance(op, Holder):
                continue
            before = holders.pop(op.lead_id, None)
            if before is not None:
                gates[before][0] -= 1
            if op.owner is None:
                continue
            gate = gates.setdefault(op.owner, [0, 0, False])
            if op.routed and not (gate[2] and gate[0] < gate[1]):
                raise CapacityReached(op.owner)
            gate[0] += 1
            holders[op.lead_id] = op.owner
        self.local.pending = (gates, holders, rotations)

    def settle(self, *, committed: bool) -> None:
        pending = getattr(self.local, "pending", None)
        if committed and pending is not None:
            self.gates, self.holders, self.rotations = pending
        self.local.pending = None
        super().settle(committed=committed)
