"""Where a projection configured to quarantine puts the events it cannot apply: recorded with
the reason, never silently skipped, and visible in /health."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import orjson

DDL = """
CREATE TABLE IF NOT EXISTS {schema}.quarantine (
    projection     text        NOT NULL,
    ref            text        NOT NULL,
    lead_id        uuid,
    version        integer,
    event_type     text,
    reason         text        NOT NULL,
    payload        text,
    quarantined_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projection, ref)
)
"""


class Quarantine:
    def __init__(self, *, schema: str) -> None:
        self.schema = schema
        self.table = f"{schema}.quarantine"

    def create(self, cur: Any) -> None:
        cur.execute(DDL.format(schema=self.schema))

    def put(
        self,
        cur: Any,
        *,
        projection: str,
        ref: str,
        reason: str,
        lead_id: Any = None,
        version: int | None = None,
        event_type: str | None = None,
        payload: Any = None,
    ) -> None:
        cur.execute(
            f"""INSERT INTO {self.table} (projection, ref, lead_id, version, event_type, reason, payload)
                VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (projection, ref) DO NOTHING""",
            (
                projection,
                ref,
                lead_id,
                version,
                event_type,
                reason,
                payload if isinstance(payload, str) or payload is None else orjson.dumps(payload).decode(),
            ),
        )

    def forget(self, cur: Any, lead_ids: list[UUID]) -> None:
        """Drop the payloads of erased leads' quarantined events (reason and place stay)."""
        cur.execute(
            f"UPDATE {self.table} SET payload = NULL WHERE lead_id = ANY(%s::uuid[])", ([str(i) for i in lead_ids],)
        )

    def counts(self, cur: Any) -> dict[str, int]:
        """Events set aside, per projection (none before the table exists)."""
        cur.execute("SELECT to_regclass(%s)", (self.table,))
        if cur.fetchone()[0] is None:
            return {}
        cur.execute(f"SELECT projection, count(*) FROM {self.table} GROUP BY projection")
        return {p: int(n) for p, n in cur.fetchall()}
