"""Which leads background scoring visits: the open leads of the lead list, in id order, so a
pass can stop anywhere and resume after the last id it finished."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from domain.lifecycle import TERMINAL
from projections.lead_list import LeadList

ENDED = [s.value for s in TERMINAL]


class OpenLeads:
    def __init__(self, *, schema: str) -> None:
        self.table = LeadList(schema=schema).table

    def page(
        self,
        cur: Any,
        *,
        after: UUID | None,
        limit: int,
        scored_only: bool = False,
        changed_since: datetime | None = None,
    ) -> list[UUID]:
        """Up to ``limit`` open lead ids after ``after``; ``scored_only``: those with rule
        points; ``changed_since``: those changed since then."""
        where = "status <> ALL(%(ended)s) AND (%(after)s::uuid IS NULL OR lead_id > %(after)s::uuid)"
        if scored_only:
            where += " AND score_base > 0"
        if changed_since is not None:
            where += " AND updated_at >= %(since)s"
        cur.execute(
            f"SELECT lead_id FROM {self.table} WHERE {where} ORDER BY lead_id LIMIT %(limit)s",
            {"ended": ENDED, "after": after, "limit": limit, "since": changed_since},
        )
        return [UUID(str(row[0])) for row in cur.fetchall()]

    def count(self, cur: Any) -> int:
        cur.execute(f"SELECT count(*) FROM {self.table} WHERE status <> ALL(%(ended)s)", {"ended": ENDED})
        found: int = cur.fetchone()[0]
        return found
