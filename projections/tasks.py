"""``tasks``: every task on a lead, an account or an opportunity, for the per-user views
(overdue, due today, open) and for the reminder scheduler's sweep (reminders due and not yet
fired). The scheduler only uses it to find
candidates: whether a reminder fires is decided on the record itself (``record``: ``lead``,
``account`` or ``opportunity``; ``lead_id`` is set for a lead's task)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from domain.contract.envelope import WORK_STREAMS, Envelope
from domain.values import ERASED
from projections.base import OneTable, fetch_dicts

DDL = """
CREATE TABLE {t} (
    task_id    uuid PRIMARY KEY,
    record     text NOT NULL,
    record_id  uuid NOT NULL,
    lead_id    uuid,
    subject    text NOT NULL,
    assignee   text NOT NULL,
    due_at     timestamptz NOT NULL,
    remind_at  timestamptz,
    reminded   boolean NOT NULL DEFAULT false,
    done       boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL
);
CREATE INDEX ON {t} (remind_at) WHERE NOT reminded AND NOT done;
CREATE INDEX ON {t} (assignee, due_at) WHERE NOT done;
CREATE INDEX ON {t} (record_id);
"""
COLUMNS = "task_id, record, record_id, lead_id, subject, assignee, due_at, remind_at, reminded, done, created_at"


class Tasks(OneTable):
    ddl = DDL
    name = "tasks_v2"
    streams = WORK_STREAMS

    def apply(self, cur: Any, events: Sequence[Envelope]) -> None:
        """Every statement is idempotent (insert once by task id, set a flag), so redelivery is harmless."""
        for e in events:
            p = e.payload
            if e.name == "task_scheduled":
                t = p["task"]
                lead = str(e.lead_id) if e.stream == "lead" else None
                cur.execute(
                    f"INSERT INTO {self.table} ({COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, false, false, %s) "
                    "ON CONFLICT (task_id) DO NOTHING",
                    (
                        t["task_id"],
                        e.stream,
                        str(e.lead_id),
                        lead,
                        t["subject"],
                        t["assignee"],
                        t["due_at"],
                        t["remind_at"],
                        e.time,
                    ),
                )
            elif e.name in ("reminder_fired", "task_completed"):
                flag = "reminded" if e.name == "reminder_fired" else "done"
                cur.execute(f"UPDATE {self.table} SET {flag} = true WHERE task_id = %s", (p["task_id"],))
            elif e.kind == "lead.personal_data_erased":
                cur.execute(f"UPDATE {self.table} SET subject = %s WHERE lead_id = %s", (ERASED, str(e.lead_id)))

    def due_reminders(self, cur: Any, *, now: datetime, limit: int = 500) -> list[dict[str, Any]]:
        cur.execute(
            f"SELECT task_id, record, record_id FROM {self.table} WHERE remind_at <= %s AND NOT reminded AND NOT done "
            "ORDER BY remind_at LIMIT %s",
            (now, limit),
        )
        return fetch_dicts(cur)

    def of_user(self, cur: Any, *, user: str, view: str, now: datetime, limit: int) -> list[dict[str, Any]]:
        """``overdue``: due before now; ``due_today``: due today (UTC); ``open``: every one not done."""
        start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        when = {
            "overdue": ("due_at < %(now)s", {}),
            "due_today": ("due_at >= %(start)s AND due_at < %(end)s", {"start": start, "end": start + timedelta(1)}),
            "open": ("TRUE", {}),
        }[view]
        cur.execute(
            f"SELECT {COLUMNS} FROM {self.table} WHERE assignee = %(user)s AND NOT done AND {when[0]} "
            "ORDER BY due_at, task_id LIMIT %(limit)s",
            {"user": user, "now": now, "limit": limit} | when[1],
        )
        return fetch_dicts(cur)
