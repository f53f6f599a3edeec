"""``dedupe_index``: each lead's match keys (``domain.duplicates`` makes them and decides what
matches), so the duplicate check looks up a handful of rows instead of every lead."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from domain.contract.envelope import Envelope
from domain.duplicate_policy import RAW, Candidate, Indexed, keys_of, matches
from domain.duplicate_scan import Scanned
from projections.base import OneTable, rows_by_lead, save_rows

DDL = """
CREATE TABLE {t} (
    lead_id      uuid PRIMARY KEY,
    version      integer NOT NULL,
    contact_name text    NOT NULL,
    email        text,
    phone        text,
    company      text,
    email_key    text,
    phone_key    text,
    name_key     text    NOT NULL,
    company_key  text,
    merged       boolean NOT NULL DEFAULT false,
    contact_id   uuid,
    distinct_from text[] NOT NULL DEFAULT ARRAY[]::text[]
);
CREATE INDEX ON {t} (email_key) WHERE NOT merged;
CREATE INDEX ON {t} (phone_key) WHERE NOT merged;
CREATE INDEX ON {t} (company_key) WHERE NOT merged;
"""

COLUMNS = (
    "version",
    *RAW,
    "email_key",
    "phone_key",
    "name_key",
    "company_key",
    "merged",
    "contact_id",
    "distinct_from",
)


class DedupeIndex(OneTable):
    ddl = DDL
    name = "dedupe_index_v2"

    def apply(self, cur: Any, events: Sequence[Envelope]) -> None:
        if not events:
            return
        rows = rows_by_lead(cur, self.table, COLUMNS, events)
        erased: set[UUID] = set()
        for e in events:
            row = rows.get(e.lead_id)
            if row is not None and e.version <= row["version"]:
                continue
            if e.name == "captured":
                row = rows[e.lead_id] = {"merged": False, "contact_id": None, "distinct_from": []} | keys_of(
                    e.payload["details"]
                )
            elif row is None:
                continue
            elif e.name in ("details_updated", "duplicate_absorbed"):
                changes = e.payload["changes"] if e.name == "details_updated" else e.payload["fields_taken"]
                row |= keys_of({f: changes.get(f, row[f]) for f in RAW})
            elif e.name in ("merged_into", "merged_into_contact"):
                row["merged"] = True
            elif e.name == "converted":
                row["contact_id"] = e.payload["links"]["contact_id"]
            elif e.name == "duplicate_dismissed":
                row["distinct_from"] = sorted({*row["distinct_from"], str(e.payload["of_id"])})
            elif e.name == "personal_data_erased":
                erased.add(e.lead_id)
            row["version"] = e.version
        save_rows(cur, self.table, COLUMNS, rows, erased)

    def candidates(self, cur: Any, details: dict[str, Any], *, limit: int = 10) -> list[Candidate]:
        """Leads (not merged away) that look like the same person; a converted lead stands for
        the contact its conversion linked, so a new lead is matched against contacts by name too."""
        k = keys_of(details)
        cur.execute(
            f"SELECT lead_id, contact_name, email_key, phone_key, name_key, company_key, contact_id FROM {self.table} "
            "WHERE NOT merged AND (email_key = %(email_key)s OR phone_key = %(phone_key)s "
            "                      OR company_key = %(company_key)s) LIMIT 500",
            k,
        )
        return matches(k, (indexed(*row) for row in cur.fetchall()), limit=limit)

    def candidates_many(self, cur: Any, many: Sequence[dict[str, Any]], *, limit: int = 10) -> list[list[Candidate]]:
        """:meth:`candidates` of many leads in one query (a lateral look-up per lead, each with
        the same bound as the single one), for an import's chunk of rows."""
        keys = [keys_of(details) for details in many]
        ask = [n for n, k in enumerate(keys) if k["email_key"] or k["phone_key"] or k["company_key"]]
        rows: list[list[Indexed]] = [[] for _ in keys]
        if ask:
            cur.execute(
                "SELECT q.n, d.lead_id, d.contact_name, d.email_key, d.phone_key, d.name_key, d.company_key, "
                "d.contact_id FROM unnest(%s::int[], %s::text[], %s::text[], %s::text[]) "
                "AS q(n, email_key, phone_key, company_key) CROSS JOIN LATERAL ("
                f"SELECT * FROM {self.table} t WHERE NOT t.merged AND (t.email_key = q.email_key "
                "OR t.phone_key = q.phone_key OR t.company_key = q.company_key) LIMIT 500) d",
                (
                    ask,
                    [keys[n]["email_key"] for n in ask],
                    [keys[n]["phone_key"] for n in ask],
                    [keys[n]["company_key"] for n in ask],
                ),
            )
            for n, *row in cur.fetchall():
                rows[n].append(indexed(*row))
        return [matches(k, found, limit=limit) for k, found in zip(keys, rows, strict=True)]


def indexed(
    lead_id: Any, name: str, email: str | None, phone: str | None, name_k: str, company: str | None, contact: Any
) -> Indexed:
    if contact is not None:
        return Indexed(UUID(str(contact)), name, email, phone, name_k, company, "contact")
    return Indexed(UUID(str(lead_id)), name, email, phone, name_k, company)


def scan_rows(cur: Any, table: str) -> list[Scanned]:
    """Every lead not merged away, as the duplicate scan reads it (by lead, converted or not)."""
    cur.execute(
        f"SELECT lead_id, contact_name, email_key, phone_key, name_key, company_key, distinct_from FROM {table} "
        "WHERE NOT merged"
    )
    return [
        Scanned(Indexed(UUID(str(r[0])), r[1], r[2], r[3], r[4], r[5]), frozenset(UUID(x) for x in r[6] or ()))
        for r in cur.fetchall()
    ]
