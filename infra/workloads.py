"""Who holds which leads in progress, and who routing may give one: the ``domain.ports.Workloads``
the assignment rules rely on, kept beside the event store and written in the same transaction
as the events (``KeyedApplicationRecorder`` calls :meth:`PostgresWorkloads.write_staged`).

``workload_gates`` has a row per directory user: leads in progress, capacity, and whether
routing may give them leads (active, not away). A routed lead takes its place with one
conditional update that also checks the gate, so two writers can never push someone past their
capacity, and a user who went away a moment ago is refused even by a process that has not seen
it yet. ``lead_holders`` says which lead counts toward whom.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.errors import CapacityReached
from infra.postgres import Database
from infra.staged_writes import StagedWrites

DDL = """
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
"""


@dataclass(frozen=True)
class Holder:
    lead_id: UUID
    owner: str | None
    routed: bool


@dataclass(frozen=True)
class Gate:
    user: str
    capacity: int
    routable: bool


class StagedWorkloads(StagedWrites[Holder | Gate]):
    def stage_holder(self, lead_id: UUID, owner: str | None, *, routed: bool) -> None:
        self.staged().append(Holder(lead_id, owner, routed))

    def stage_gate(self, user: str, *, capacity: int, routable: bool) -> None:
        self.staged().append(Gate(user, capacity, routable))

    def loads(self, users: Iterable[str]) -> dict[str, float]:
        raise NotImplementedError

    def held_by(self, user: str) -> list[UUID]:
        raise NotImplementedError


class PostgresWorkloads(StagedWorkloads):
    def __init__(self, db: Database, *, schema: str) -> None:
        super().__init__()
        self.db = db
        self.gates = f"{schema}.workload_gates"
        self.holders = f"{schema}.lead_holders"

    def create(self) -> None:
        with self.db.cursor() as cur:
            cur.execute(DDL.format(gates=self.gates, holders=self.holders))

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

    def write_staged(self, cursor: Any) -> None:
        """Apply this thread's staged changes with ``cursor``, inside the save's transaction:
        one statement each (releasing the lead's previous holder, taking its new one's place
        under their gate, and recording who holds it)."""
        for op in self.staged():
            if isinstance(op, Gate):
                cursor.execute(
                    f"INSERT INTO {self.gates} (owner, capacity, routable) VALUES (%s, %s, %s) "
                    "ON CONFLICT (owner) DO UPDATE SET capacity = EXCLUDED.capacity, routable = EXCLUDED.routable",
                    (op.user, op.capacity, op.routable),
                )
            elif op.owner is None:
                cursor.execute(self._release, {"lead": op.lead_id})
            else:
                cursor.execute(self._routed if op.routed else self._given, {"lead": op.lead_id, "owner": op.owner})
                row = cursor.fetchone()
                if op.routed and not (row["taken"] if isinstance(row, dict) else row[0]):
                    raise CapacityReached(op.owner)

    @property
    def _release(self) -> str:
        return (
            f"WITH old AS (DELETE FROM {self.holders} WHERE lead_id = %(lead)s RETURNING owner) "
            f"UPDATE {self.gates} g SET open = g.open - 1 FROM old WHERE g.owner = old.owner"
        )

    def _take(self, taken: str) -> str:
        """``taken``: the CTE that counts the new holder in (returning their name, or nothing)."""
        return (
            f"WITH old AS (SELECT owner FROM {self.holders} WHERE lead_id = %(lead)s), "
            f"released AS (UPDATE {self.gates} g SET open = g.open - 1 FROM old WHERE g.owner = old.owner), "
            f"taken AS ({taken}), "
            f"held AS (INSERT INTO {self.holders} (lead_id, owner) SELECT %(lead)s, owner FROM taken "
            f"         ON CONFLICT (lead_id) DO UPDATE SET owner = EXCLUDED.owner) "
            f"SELECT count(*) AS taken FROM taken"
        )

    @property
    def _routed(self) -> str:
        return self._take(
            f"UPDATE {self.gates} SET open = open + 1 "
            f"WHERE owner = %(owner)s AND routable AND open < capacity RETURNING owner"
        )

    @property
    def _given(self) -> str:
        return self._take(
            f"INSERT INTO {self.gates} AS g (owner, open) VALUES (%(owner)s, 1) "
            f"ON CONFLICT (owner) DO UPDATE SET open = g.open + 1 RETURNING owner"
        )


class MemoryWorkloads(StagedWorkloads):
    """The same rules over dicts, for the in-memory event store of unit tests: applied when
    the save starts (the in-memory store saves whole or not at all in one call)."""

    def __init__(self) -> None:
        super().__init__()
        self.gates: dict[str, list[Any]] = {}
        self.holders: dict[UUID, str] = {}

    def loads(self, users: Iterable[str]) -> dict[str, float]:
        return {u: g[0] / g[1] if g[1] else float("inf") for u in users if (g := self.gates.get(u))}

    def held_by(self, user: str) -> list[UUID]:
        return sorted(lead for lead, owner in self.holders.items() if owner == user)

    def before_save(self) -> None:
        gates = {u: list(g) for u, g in self.gates.items()}
        holders = dict(self.holders)
        for op in self.staged():
            if isinstance(op, Gate):
                gates.setdefault(op.user, [0, 0, False])[1:] = [op.capacity, op.routable]
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
        self.local.pending = (gates, holders)

    def settle(self, *, committed: bool) -> None:
        pending = getattr(self.local, "pending", None)
        if committed and pending is not None:
            self.gates, self.holders = pending
        self.local.pending = None
        super().settle(committed=committed)
