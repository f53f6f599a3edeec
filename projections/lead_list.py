"""``lead_list``: one row per lead, everything a list filters and sorts on.

Redelivery is harmless: every update is guarded by ``version < new version`` and the capture
insert ignores an existing row, so each (lead, version) takes effect once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from projections.envelope import Envelope

DDL = """
CREATE TABLE {t} (
    lead_id            uuid PRIMARY KEY,
    version            integer     NOT NULL,
    contact_name       text        NOT NULL,
    email              text,
    phone              text,
    company            text,
    source             text,
    priority           text        NOT NULL,
    status             text        NOT NULL,
    owner              text,
    score_base         integer     NOT NULL DEFAULT 0,
    score_adjustment   integer     NOT NULL DEFAULT 0,
    score              integer GENERATED ALWAYS AS (GREATEST(0, LEAST(100, score_base + score_adjustment))) STORED,
    first_contacted_at timestamptz,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL
);
CREATE INDEX ON {t} (status, updated_at DESC);
CREATE INDEX ON {t} (owner, updated_at DESC);
CREATE INDEX ON {t} (created_at DESC, lead_id);
"""

INSERT = """
INSERT INTO {t} (lead_id, version, contact_name, email, phone, company, source, priority, status,
                 created_at, updated_at)
VALUES (%(lead_id)s, %(version)s, %(contact_name)s, %(email)s, %(phone)s, %(company)s, %(source)s,
        %(priority)s, 'new', %(time)s, %(time)s)
ON CONFLICT (lead_id) DO NOTHING
"""

DETAIL_COLUMNS = ("contact_name", "email", "phone", "company", "source", "priority")
STATUS_OF = {
    "qualified": "qualified",
    "nurtured": "nurture",
    "disqualified": "unqualified",
    "merged_into": "merged",
    "converted": "converted",
}


class LeadList:
    name = "lead_list_v1"

    def __init__(self, *, schema: str, suffix: str = "") -> None:
        self.table = f"{schema}.{self.name}{suffix}"
        self.tables = [self.table]

    def create(self, cur: Any) -> None:
        cur.execute("SELECT to_regclass(%s)", (self.table,))
        if cur.fetchone()[0] is None:
            cur.execute(DDL.format(t=self.table))

    def apply(self, cur: Any, events: Sequence[Envelope]) -> None:
        for e in events:
            if e.name == "captured":
                d = e.payload["details"]
                row = {c: d.get(c) for c in DETAIL_COLUMNS}
                cur.execute(INSERT.format(t=self.table), {**row, "lead_id": e.lead_id, "version": e.version, "time": e.time})
            else:
                self._update(cur, e)

    def _update(self, cur: Any, e: Envelope) -> None:
        sets, params = self._changes(e)
        sets += ["version = %(version)s", "updated_at = %(time)s"]
        cur.execute(
            f"UPDATE {self.table} SET {', '.join(sets)} WHERE lead_id = %(lead_id)s AND version < %(version)s",
            {**params, "lead_id": e.lead_id, "version": e.version, "time": e.time},
        )

    @staticmethod
    def _changes(e: Envelope) -> tuple[list[str], dict[str, Any]]:
        """SET clauses and parameters for the columns this event changes."""
        p = e.payload
        if e.name in ("details_updated", "duplicate_absorbed"):
            changed = p["changes"] if e.name == "details_updated" else p["fields_taken"]
            cols = [c for c in DETAIL_COLUMNS if c in changed]
            return [f"{c} = %({c})s" for c in cols], {c: changed[c] for c in cols}
        if e.name == "assigned":
            return ["owner = %(owner)s"], {"owner": p["owner"]}
        if e.name == "contacted":
            return [
                "status = CASE WHEN status = 'new' THEN 'contacted' ELSE status END",
                "first_contacted_at = COALESCE(first_contacted_at, %(time)s)",
            ], {}
        if e.name == "reopened":
            return ["status = %(status)s"], {"status": p["to_status"]}
        if e.name in STATUS_OF:
            return ["status = %(status)s"], {"status": STATUS_OF[e.name]}
        if e.name == "scored":
            b = p["breakdown"]
            return ["score_base = %(base)s"], {"base": b["demographic"] + b["behavioral"] + b["firmographic"]}
        if e.name == "score_adjusted":
            shown = "GREATEST(0, LEAST(100, score_base + score_adjustment + %(points)s))"
            return [f"score_adjustment = {shown} - score_base"], {"points": p["points"]}
        return [], {}

    def find(self, cur: Any, *, status: str | None, owner: str | None, limit: int) -> list[dict[str, Any]]:
        where: list[str] = []
        params: dict[str, Any] = {"limit": limit}
        if status:
            where.append("status = %(status)s")
            params["status"] = status
        if owner:
            where.append("owner = %(owner)s")
            params["owner"] = owner
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        cur.execute(f"{self._select()} {clause} ORDER BY created_at DESC, lead_id LIMIT %(limit)s", params)
        return _rows(cur)

    def open_leads_of(self, cur: Any, owner: str) -> list[UUID]:
        """Every lead of ``owner`` not yet converted or merged (no page limit: for mass transfers)."""
        cur.execute(f"SELECT lead_id FROM {self.table} WHERE owner = %s AND status NOT IN ('converted', 'merged') "
                    "ORDER BY created_at, lead_id", (owner,))  # fmt: skip
        return [row[0] for row in cur.fetchall()]

    def get(self, cur: Any, lead_id: UUID) -> dict[str, Any] | None:
        cur.execute(f"{self._select()} WHERE lead_id = %(lead_id)s", {"lead_id": lead_id})
        rows = _rows(cur)
        return rows[0] if rows else None

    def _select(self) -> str:
        return f"SELECT {', '.join(PUBLIC_COLUMNS)} FROM {self.table}"


PUBLIC_COLUMNS = (
    "lead_id", "version", "contact_name", "email", "phone", "company", "source", "priority", "status", "owner",
    "score", "first_contacted_at", "created_at", "updated_at",
)  # fmt: skip


def _rows(cur: Any) -> list[dict[str, Any]]:
    cols = [c.name for c in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
