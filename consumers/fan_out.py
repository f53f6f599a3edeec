"""Several read models fed by ONE reader: each event is fetched, decoded and its personal fields
opened once, then every member applies the batch in the same transaction.

Independent runners each parse, decompress and unseal every event again (py-spy put that at
over half of a rebuild's samples, with the projections' own SQL at under a fifth). A fan-out
keeps each member's own position (the runner saves one per member, under the member's name),
so members can later run on their own, in this process or another, and pick up where they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain.contract.envelope import Envelope
from projections.base import Projection, streams_of


class FanOut:
    """A projection made of projections: ``apply`` hands the same batch to each in turn."""

    def __init__(self, members: Sequence[Projection]) -> None:
        if not members:
            raise ValueError("a fan-out needs at least one projection")
        self.members = list(members)
        self.name = "+".join(m.name for m in self.members)
        self.tables = [t for m in self.members for t in m.tables]
        self.log_only = all(getattr(m, "log_only", False) for m in self.members)
        """Whether its members read the store's log only (the customer master's events too)."""
        self.wanted = [streams_of(m) for m in self.members]
        self.streams = frozenset().union(*self.wanted)
        """What the one reader reads: every member's streams; each member is handed its own."""

    def create(self, cur: Any) -> None:
        for m in self.members:
            m.create(cur)

    def apply(self, cur: Any, events: Sequence[Envelope]) -> None:
        for m, wanted in zip(self.members, self.wanted, strict=True):
            mine = events if wanted == self.streams else [e for e in events if e.stream in wanted]
            m.apply(cur, mine)


def members_of(projection: Projection) -> list[Projection]:
    """The projections whose positions a runner of ``projection`` keeps: a fan-out's members, or itself."""
    return list(projection.members) if isinstance(projection, FanOut) else [projection]


def common_start(positions: Sequence[dict[int, int]]) -> dict[int, int]:
    """Where a fan-out resumes: per partition, the least advanced member's position; a partition
    some member has never read is read from its start. Members further on see events again,
    which every projection ignores (it dedupes on lead and version)."""
    if not positions:
        return {}
    shared = set(positions[0]).intersection(*positions[1:])
    return {p: min(pos[p] for pos in positions) for p in shared}
