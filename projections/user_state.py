"""What users keep for themselves beside the read models: saved list views, which leads they
have opened (up to which version) and which notifications they have read.

Neither is a fact about a lead, so neither is an event; both live in the read store but are
owned by no projection, so a rebuild of ``feeds`` keeps every read mark (notification ids are
stable across rebuilds).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

DDL = """
CREATE TABLE IF NOT EXISTS {schema}.saved_views (
    user_id text NOT NULL, name text NOT NULL, filters jsonb NOT NULL, PRIMARY KEY (user_id, name)
);
CREATE TABLE IF NOT EXISTS {schema}.lead_reads (
    user_id text NOT NULL, lead_id uuid NOT NULL, version integer NOT NULL, PRIMARY KEY (lead_id, user_id)
);
CREATE TABLE IF NOT EXISTS {schema}.notification_reads (
    user_id text NOT NULL, notification_id uuid NOT NULL, read_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, notification_id)
);
"""


class UserState:
    def __init__(self, *, schema: str) -> None:
        self.schema = schema
        self.reads_table = f"{schema}.notification_reads"
        self.lead_reads = f"{schema}.lead_reads"

    def create(self, cur: Any) -> None:
        cur.execute(DDL.format(schema=self.schema))

    def save_view(self, cur: Any, *, user: str, name: str, filters: dict[str, Any]) -> None:
        cur.execute(
            f"INSERT INTO {self.schema}.saved_views VALUES (%s, %s, %s) "
            "ON CONFLICT (user_id, name) DO UPDATE SET filters = EXCLUDED.filters",
            (user, name, Jsonb(filters)),
        )

    def views(self, cur: Any, *, user: str) -> list[tuple[str, dict[str, Any]]]:
        cur.execute(f"SELECT name, filters FROM {self.schema}.saved_views WHERE user_id = %s ORDER BY name", (user,))
        return [(name, dict(filters)) for name, filters in cur.fetchall()]

    def delete_view(self, cur: Any, *, user: str, name: str) -> bool:
        cur.execute(f"DELETE FROM {self.schema}.saved_views WHERE user_id = %s AND name = %s", (user, name))
        return bool(cur.rowcount)

    def mark_read(self, cur: Any, *, user: str, notification_id: UUID) -> None:
        cur.execute(
            f"INSERT INTO {self.reads_table} (user_id, notification_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            (user, notification_id),
        )

    def mark_lead_read(self, cur: Any, *, user: str, lead_id: UUID, version: int) -> None:
        """``user`` has seen the lead as of ``version`` (never moves back)."""
        cur.execute(
            f"INSERT INTO {self.lead_reads} AS r (user_id, lead_id, version) VALUES (%s, %s, %s) "
            "ON CONFLICT (lead_id, user_id) DO UPDATE SET version = GREATEST(r.version, EXCLUDED.version)",
            (user, lead_id, version),
        )
