"""What a projection is: a named, versioned set of tables and a handler for a batch of events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from projections.envelope import Envelope


class Projection(Protocol):
    name: str
    """Versioned by name (``lead_list_v1``) so a rebuild can run beside the live copy."""

    tables: list[str]
    """Qualified names of the tables it owns (a rebuild copies, checksums and swaps them)."""

    def create(self, cur: Any) -> None:
        """Create the tables if missing (idempotent)."""

    def apply(self, cur: Any, events: Sequence[Envelope]) -> None:
        """Apply events in order; must ignore an event already applied (same lead, version)."""
