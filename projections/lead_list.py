"""``lead_list``: one row per lead, everything a list filters and sorts on.

Redelivery is harmless: every update is guarded by ``version < new version`` and the capture
insert ignores an existing row, so each (lead, version) takes effect once. The queries over
this table live in :mod:`projections.lead_queries`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain.contract.envelope import Envelope
from domain.lifecycle import MOVES_TO
from domain.picklists import LeadStatus
from domain.score_values import DEFAULT_MQL_THRESHOLD, Bands
from domain.values import ERASED
from projections.base import OneTable, insert_rows

DDL_TEMPLATE = """
CREATE TABLE {t} (
    lead_id            uuid PRIMARY KEY,
    version            integer     NOT NULL,
    contact_name       text        NOT NULL,
    email              text,
    phone              text,
    company            text,
    industry           text,
    country            text,
    region             text,
    source             text,
    priority           text        NOT NULL,
    status             text        NOT NULL,
    owner              text,
    created_by         text        NOT NULL,
    followers          text[]      NOT NULL DEFAULT '{{}}',
    score_base         integer     NOT NULL DEFAULT 0,
    score_adjustment   integer     NOT NULL DEFAULT 0,
    score              integer GENERATED ALWAYS AS ({shown}) STORED,
    grade              text        NOT NULL DEFAULT '',
    cold_max           integer     NOT NULL DEFAULT {cold_max},
    warm_max           integer     NOT NULL DEFAULT {warm_max},
    mql_threshold      integer     NOT NULL DEFAULT {mql},
    temperature        text GENERATED ALWAYS AS (CASE
                         WHEN {shown} <= cold_max THEN 'cold'
                         WHEN {shown} <= warm_max THEN 'warm'
                         ELSE 'hot' END) STORED,
    stage              text GENERATED ALWAYS AS (CASE
                         WHEN status = 'converted' THEN 'opportunity'
                         WHEN status = 'merged' THEN NULL
                         WHEN status = 'qualified' THEN 'sql'
                         WHEN {shown} >= mql_threshold THEN 'mql'
                         WHEN {shown} = 0 AND status = 'new' THEN 'subscriber'
                         ELSE 'lead' END) STORED,
    first_contacted_at timestamptz,
    last_activity_at   timestamptz,
    unread             boolean     NOT NULL DEFAULT false,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    search             tsvector GENERATED ALWAYS AS (to_tsvector('simple',
                         contact_name || ' ' || coalesce(company, '') || ' ' || coalesce(email, '') || ' ' ||
                         translate(coalesce(email, ''), '@.', '  '))) STORED,
    archived           boolean     NOT NULL DEFAULT false,
    deleted            boolean     NOT NULL DEFAULT false
);
CREATE INDEX ON {t} (status, updated_at DESC);
CREATE INDEX ON {t} (owner, updated_at DESC);
CREATE INDEX ON {t} (created_at DESC, lead_id);
CREATE INDEX ON {t} (created_by);
CREATE INDEX ON {t} USING gin (followers);
CREATE INDEX ON {t} (source);
CREATE INDEX ON {t} (lower(industry));
CREATE INDEX ON {t} (country, lower(region));
CREATE INDEX ON {t} USING gin (search);
CREATE INDEX ON {t} (grade);
CREATE INDEX ON {t} (stage);
"""

SHOWN = "GREATEST(0, LEAST(100, score_base + score_adjustment))"
DDL = (
    DDL_TEMPLATE.replace("{shown}", SHOWN)
    .replace("{cold_max}", str(Bands().cold_max))
    .replace("{warm_max}", str(Bands().warm_max))
    .replace("{mql}", str(DEFAULT_MQL_THRESHOLD))
)
"""The temperature and the stage are ``domain.score_values`` (``Bands.temperature``,
``stage_of``) in SQL, by the bands and threshold of the model that last scored the lead."""

INSERTED = (
    "lead_id", "version", "contact_name", "email", "phone", "company", "industry", "country", "region", "source",
    "priority", "status", "created_by", "created_at", "updated_at",
)  # fmt: skip
"""The columns a capture fills."""
DETAIL_COLUMNS = ("contact_name", "email", "phone", "company", "industry", "source", "priority")
INSERT_COLUMNS = (*DETAIL_COLUMNS, "country", "region")
INSERT_ORDER = (*DETAIL_COLUMNS[:5], "country", "region", *DETAIL_COLUMNS[5:])
"""The details of a captured lead in the column order of ``INSERTED``."""
ACTIVITY_EVENTS = ("contacted", "activity_logged")
"""What counts as working the lead, for ``last_activity_at``."""


FOLLOWED_BY = "followers = ARRAY(SELECT DISTINCT u FROM unnest(followers || %(users)s::text[]) AS u ORDER BY u)"
"""Adds ``users`` to the followers, kept sorted so a rebuild writes the very same array."""


def detail_values(changed: dict[str, Any]) -> dict[str, Any]:
    """The list's columns among changed (or captured) lead details, address flattened."""
    values = {c: changed[c] for c in DETAIL_COLUMNS if c in changed}
    if "address" in changed:
        address = changed["address"] or {}
        values |= {"country": address.get("country"), "region": address.get("region")}
    return values


def captured_row(e: Envelope) -> tuple[Any, ...]:
    """A captured lead's row, in the column order of ``INSERTED``."""
    values = dict.fromkeys(INSERT_COLUMNS) | detail_values(e.payload["details"])
    status = MOVES_TO["captured"].value
    return (e.lead_id, e.version, *(values[c] for c in INSERT_ORDER), status, e.actor, e.time, e.time)


ADDED_COLUMNS = """
ALTER TABLE {t} ADD COLUMN IF NOT EXISTS archived boolean NOT NULL DEFAULT false;
ALTER TABLE {t} ADD COLUMN IF NOT EXISTS deleted boolean NOT NULL DEFAULT false
"""
"""Columns added since v3 whose default is right for every row projected before them (no lead
was archived or deleted before the events existed), so the table is extended, not rebuilt."""


class LeadList(OneTable):
    ddl = DDL
    name = "lead_list_v4"

    def create(self, cur: Any) -> None:
        super().create(cur)
        cur.execute(ADDED_COLUMNS.format(t=self.table))

    def apply(self, cur: Any, events: Sequence[Envelope]) -> None:
        """Captures first, in one statement (a lead's capture always precedes its other events),
        then every other event in order."""
        captured = [captured_row(e) for e in events if e.name == "captured"]
        insert_rows(cur, self.table, INSERTED, captured, conflict="(lead_id) DO NOTHING")
        for e in events:
            if e.name != "captured":
                self._update(cur, e)

    def _update(self, cur: Any, e: Envelope) -> None:
        sets, params = self._changes(e)
        owner = "%(owner)s::text" if e.name == "assigned" else "owner"
        sets += [
            "version = %(version)s",
            "updated_at = %(time)s",
            f"unread = ({owner} IS NOT NULL AND {owner} <> %(actor)s)",
        ]
        if e.name in ACTIVITY_EVENTS:
            sets.append("last_activity_at = %(time)s")
        cur.execute(
            f"UPDATE {self.table} SET {', '.join(sets)} WHERE lead_id = %(lead_id)s AND version < %(version)s",
            {**params, "lead_id": e.lead_id, "version": e.version, "time": e.time, "actor": e.actor},
        )

    @staticmethod
    def _changes(e: Envelope) -> tuple[list[str], dict[str, Any]]:
        """SET clauses and parameters for the columns this event changes."""
        p = e.payload
        if e.name in ("details_updated", "duplicate_absorbed"):
            values = detail_values(p["changes"] if e.name == "details_updated" else p["fields_taken"])
            sets = [f"{c} = %({c})s" for c in values]
            if e.name == "duplicate_absorbed":
                return [*sets, FOLLOWED_BY], values | {"users": list(p["followers"])}
            return sets, values
        if e.name == "assigned":
            return ["owner = %(owner)s", FOLLOWED_BY], {"owner": p["owner"], "users": [p["owner"]]}
        if e.name == "followed":
            return [FOLLOWED_BY], {"users": [p["user"]]}
        if e.name == "unfollowed":
            return ["followers = array_remove(followers, %(user)s)"], {"user": p["user"]}
        if e.name in ("archived", "unarchived", "deleted"):
            column = "deleted" if e.name == "deleted" else "archived"
            return [f"{column} = %(flag)s"], {"flag": e.name != "unarchived"}
        if e.name == "personal_data_erased":
            return ["contact_name = %(erased)s", "email = NULL", "phone = NULL"], {"erased": ERASED}
        if e.name == "contacted":
            # domain.lifecycle.status_after, in SQL: the row's status is not loaded
            return [
                "status = CASE WHEN status = %(new)s THEN %(contacted)s ELSE status END",
                "first_contacted_at = COALESCE(first_contacted_at, %(time)s)",
            ], {"new": LeadStatus.NEW.value, "contacted": LeadStatus.CONTACTED.value}
        if e.name == "reopened":
            return ["status = %(status)s"], {"status": p["to_status"]}
        if e.name in MOVES_TO:
            return ["status = %(status)s"], {"status": MOVES_TO[e.name].value}
        if e.name in ("scored", "score_reclassified"):
            sets, values = [], {}
            if e.name == "scored":
                b = p["breakdown"]
                values = {"base": b["demographic"] + b["behavioral"] + b["firmographic"], "grade": p.get("grade") or ""}
                sets = ["score_base = %(base)s", "grade = %(grade)s"]
            for column, value in (*(p.get("bands") or {}).items(), ("mql_threshold", p.get("mql_threshold"))):
                if value is not None:
                    sets.append(f"{column} = %({column})s")
                    values[column] = value
            return sets, values
        if e.name == "score_adjusted":
            shown = "GREATEST(0, LEAST(100, score_base + score_adjustment + %(points)s))"
            return [f"score_adjustment = {shown} - score_base"], {"points": p["points"]}
        return [], {}
