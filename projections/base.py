"""What a projection is: a named, versioned set of tables and a handler for a batch of events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from projections.envelope import Envelope


class Projection(Protocol):
    name: str
    """Versioned by name (``lead_list_v2``) so a rebuild can run beside the live copy."""

    tables: list[str]
    """Qualified names of the tables it owns (a rebuild copies, checksums and swaps them)."""

    def create(self, cur: Any) -> None:
        """Create the tables if missing (idempotent)."""

    def apply(self, cur: Any, events: Sequence[Envelope]) -> None:
        """Apply events in order; must ignore an event already applied (same lead, version)."""


def fetch_dicts(cur: Any) -> list[dict[str, Any]]:
    """The rows of the last query as dicts keyed by column name."""
    cols = [c.name for c in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


DDL_LOCK_KEY = 7_254_001
"""PostgreSQL advisory lock taken around every CREATE of the engine's tables and schemas:
consumers started together would otherwise race on ``CREATE ... IF NOT EXISTS`` and fail
with "tuple concurrently updated"."""


def lock_ddl(cur: Any) -> None:
    """Serialise table creation with every other process, until this transaction ends."""
    cur.execute("SELECT pg_advisory_xact_lock(%s)", (DDL_LOCK_KEY,))
