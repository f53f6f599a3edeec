"""``aging``: how long each lead has been in its status and since it was last worked, plus
every status interval (entered, left) for the time-in-status report.

Buckets and thresholds depend on "now", so they are computed when read (:mod:`projections.reports`
and the aging monitor), never stored: a stored bucket would be wrong by tomorrow.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.contract.envelope import Envelope
from domain.lifecycle import IN_PROGRESS
from projections.base import create_once, fetch_dicts, insert_rows, next_status, rows_by_lead, save_rows
from projections.lead_list import ACTIVITY_EVENTS

DDL = """
CREATE TABLE {aging} (
    lead_id          uuid PRIMARY KEY,
    version          integer     NOT NULL,
    owner            text,
    status           text        NOT NULL,
    status_since     timestamptz NOT NULL,
    status_version   integer     NOT NULL,
    last_activity_at timestamptz,
    alerted_version  integer
);
CREATE INDEX ON {aging} (status, status_since);
CREATE TABLE {intervals} (
    lead_id         uuid        NOT NULL,
    entered_version integer     NOT NULL,
    status          text        NOT NULL,
    entered_at      timestamptz NOT NULL,
    left_at         timestamptz,
    PRIMARY KEY (lead_id, entered_version)
);
"""

COLUMNS = ("version", "owner", "status", "status_since", "status_version", "last_activity_at", "alerted_version")

BUCKETS = ((0, 7, "0-7"), (8, 14, "8-14"), (15, 30, "15-30"), (31, None, "30+"))
"""Age buckets in whole days: 0-7, 8-14, 15-30, more than 30."""


class Aging:
    name = "aging_v1"

    def __init__(self, *, schema: str, suffix: str = "") -> None:
        self.aging = f"{schema}.{self.name}{suffix}"
        self.intervals = f"{schema}.{self.name}_intervals{suffix}"
        self.tables = [self.aging, self.intervals]

    def create(self, cur: Any) -> None:
        create_once(cur, self.aging, DDL.format(aging=self.aging, intervals=self.intervals))

    def apply(self, cur: Any, events: Sequence[Envelope]) -> None:
        if not events:
            return
        rows = rows_by_lead(cur, self.aging, COLUMNS, events)
        intervals: dict[tuple[UUID, int], list[Any]] = {}
        erased: set[UUID] = set()
        for e in events:
            row = rows.get(e.lead_id)
            if row is not None and e.version <= row["version"]:
                continue
            if row is None:
                row = rows[e.lead_id] = {
                    "version": 0,
                    "owner": None,
                    "status": None,
                    "status_since": e.time,
                    "status_version": e.version,
                    "last_activity_at": None,
                    "alerted_version": None,
                }
            status = next_status(row["status"], e)
            if status != row["status"]:
                if row["status"] is not None:
                    intervals[(e.lead_id, row["status_version"])] = [row["status"], row["status_since"], e.time]
                intervals[(e.lead_id, e.version)] = [status, e.time, None]
                row |= {"status": status, "status_since": e.time, "status_version": e.version}
            if e.name == "assigned":
                row["owner"] = e.payload["owner"]
            if e.name in ACTIVITY_EVENTS:
                row["last_activity_at"] = e.time
            if e.name == "aging_alerted":
                row["alerted_version"] = e.version
            if e.name == "personal_data_erased":
                erased.add(e.lead_id)
            row["version"] = e.version
        save_rows(cur, self.aging, COLUMNS, rows, erased)
        if intervals:
            insert_rows(
                cur,
                self.intervals,
                None,
                [(lead, version, *rest) for (lead, version), rest in intervals.items()],
                conflict="(lead_id, entered_version) DO UPDATE SET left_at = EXCLUDED.left_at",
            )

    def overdue(
        self, cur: Any, *, thresholds: dict[str, int], now: datetime, alerted_too: bool = False
    ) -> list[dict[str, Any]]:
        """Open leads in a status longer than its threshold (days), by default only those not
        yet alerted for this stay."""
        statuses = sorted(s.value for s in IN_PROGRESS if s.value in thresholds)
        cur.execute(
            f"SELECT lead_id, owner, status, status_since, status_version, limit_days AS threshold_days, "
            f"       floor(extract(epoch FROM %(now)s - status_since) / 86400)::int AS days "
            f"FROM {self.aging} JOIN unnest(%(statuses)s::text[], %(limits)s::int[]) AS t(st, limit_days) "
            f"  ON status = st "
            f"WHERE status_since <= %(now)s - make_interval(days => limit_days) "
            f"  AND (%(alerted_too)s OR alerted_version IS NULL OR alerted_version < status_version) "
            f"ORDER BY status_since",
            {"now": now, "statuses": statuses, "limits": [thresholds[s] for s in statuses], "alerted_too": alerted_too},
        )
        return fetch_dicts(cur)
