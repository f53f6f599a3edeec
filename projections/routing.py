"""``routing``: where each lead was routed, its queue, and its speed to lead.

Per lead: its owner or queue, the rule, strategy and team of its last assignment, when it was
assigned, the response target, when it was first contacted and whether it was escalated. It
serves queue listings, the speed-to-lead monitor's search for overdue leads (the domain checks
again before escalating) and the response-time reports per lead, rep and team.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from domain.contract.envelope import Envelope
from domain.lifecycle import IN_PROGRESS
from projections import keyset
from projections.base import create_once, fetch_dicts, next_status, rows_by_lead, save_rows
from projections.lead_queries import Page

DDL = """
CREATE TABLE {t} (
    lead_id      uuid PRIMARY KEY,
    version      integer     NOT NULL,
    status       text        NOT NULL,
    captured_at  timestamptz NOT NULL,
    owner        text,
    queue        text,
    queued_at    timestamptz,
    team         text,
    rule_id      text,
    strategy     text,
    assigned_at  timestamptz,
    respond_by   timestamptz,
    contacted_at timestamptz,
    escalated_for timestamptz
);
CREATE INDEX ON {t} (queue, queued_at) WHERE queue IS NOT NULL;
CREATE INDEX ON {t} (respond_by) WHERE respond_by IS NOT NULL AND contacted_at IS NULL;
"""

COLUMNS = (
    "version",
    "status",
    "captured_at",
    "owner",
    "queue",
    "queued_at",
    "team",
    "rule_id",
    "strategy",
    "assigned_at",
    "respond_by",
    "contacted_at",
    "escalated_for",
)

RESPONSE = "extract(epoch FROM contacted_at - coalesce(assigned_at, captured_at)) / 60"
"""Minutes from assignment (or capture, if it never had an owner before) to first contact."""


class Routing:
    name = "routing_v1"

    def __init__(self, *, schema: str, suffix: str = "") -> None:
        self.table = f"{schema}.{self.name}{suffix}"
        self.tables = [self.table]

    def create(self, cur: Any) -> None:
        create_once(cur, self.table, DDL.format(t=self.table))

    def apply(self, cur: Any, events: Sequence[Envelope]) -> None:
        if not events:
            return
        rows = rows_by_lead(cur, self.table, COLUMNS, events)
        erased = set()
        for e in events:
            row = rows.get(e.lead_id)
            if row is not None and e.version <= row["version"]:
                continue
            if row is None:
                row = rows[e.lead_id] = dict.fromkeys(COLUMNS) | {"captured_at": e.time}
            row["status"] = next_status(row["status"], e)
            self._fold(e, row)
            if e.name == "personal_data_erased":
                erased.add(e.lead_id)
            row["version"] = e.version
        save_rows(cur, self.table, COLUMNS, rows, erased)

    @staticmethod
    def _fold(e: Envelope, row: dict[str, Any]) -> None:
        p = e.payload
        if e.name == "assigned":
            row |= {
                "owner": p["owner"],
                "queue": None,
                "queued_at": None,
                "team": p.get("team"),
                "rule_id": p.get("rule_id"),
                "strategy": p.get("strategy", "manual"),
                "respond_by": p.get("respond_by"),
            }
            if row["contacted_at"] is None:
                row["assigned_at"] = e.time
        elif e.name == "queued":
            row |= {"owner": None, "queue": p["queue"], "queued_at": e.time, "respond_by": None}
            row |= {"rule_id": p.get("rule_id"), "strategy": p["strategy"], "team": None}
        elif e.name == "contacted" and row["contacted_at"] is None:
            row["contacted_at"] = e.time
        elif e.name == "response_overdue":
            row["escalated_for"] = p["due"]

    # -- queries ---------------------------------------------------------------------------------

    def queue(self, cur: Any, name: str, *, limit: int, cursor: str | None = None) -> Page:
        """The leads waiting in queue ``name``, oldest first."""
        past, params = "", []
        if cursor:
            past, params = "AND (queued_at, lead_id) > (%s, %s)", keyset.decode("queue", cursor, ("moment", "uuid"))
        cur.execute(
            f"SELECT lead_id, version, status, queued_at, rule_id, strategy FROM {self.table} "
            f"WHERE queue = %s AND status = ANY(%s) {past} ORDER BY queued_at, lead_id LIMIT %s",
            (name, sorted(s.value for s in IN_PROGRESS), *params, limit + 1),
        )
        return keyset.page("queue", fetch_dicts(cur), limit, ("queued_at", "lead_id"))

    def overdue(self, cur: Any, *, now: datetime, limit: int) -> list[dict[str, Any]]:
        """Leads owned, not contacted, past their response target and not escalated for it."""
        cur.execute(
            f"SELECT lead_id, owner, respond_by FROM {self.table} "
            f"WHERE respond_by IS NOT NULL AND respond_by <= %s AND contacted_at IS NULL AND owner IS NOT NULL "
            f"  AND escalated_for IS DISTINCT FROM respond_by AND status = ANY(%s) "
            f"ORDER BY respond_by LIMIT %s",
            (now, sorted(s.value for s in IN_PROGRESS), limit),
        )
        return fetch_dicts(cur)
