"""``dedupe_index``: each open lead's match keys, read by the duplicate check on create.

Keys: the normalised email, the E.164 phone (already normalised by the domain), and the
normalised contact name and company. Email and phone match exactly; a name matches fuzzily
(rapidfuzz) among leads of the same company, which catches "Jon Smith" / "John Smith" at
Acme Inc. without comparing against every lead in the store.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from rapidfuzz import fuzz

from projections.base import OneTable, rows_by_lead, save_rows
from projections.envelope import Envelope

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
    merged       boolean NOT NULL DEFAULT false
);
CREATE INDEX ON {t} (email_key) WHERE NOT merged;
CREATE INDEX ON {t} (phone_key) WHERE NOT merged;
CREATE INDEX ON {t} (company_key) WHERE NOT merged;
"""

COMPANY_SUFFIXES = {
    "inc",
    "incorporated",
    "ltd",
    "limited",
    "llc",
    "gmbh",
    "corp",
    "corporation",
    "co",
    "company",
    "sa",
    "sas",
    "bv",
    "ag",
    "plc",
    "the",
}
NAME_MATCH = 88
"""rapidfuzz token-sort ratio (0-100) from which two names at one company count as the same person."""


def words(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.findall(r"[a-z0-9]+", plain)


def name_key(name: str) -> str:
    return " ".join(words(name))


def company_key(company: str | None) -> str | None:
    key = " ".join(w for w in words(company or "") if w not in COMPANY_SUFFIXES)
    return key or None


RAW = ("contact_name", "email", "phone", "company")


def keys_of(details: dict[str, Any]) -> dict[str, Any]:
    """The raw matching fields and their keys."""
    return {
        **{f: details.get(f) for f in RAW},
        "email_key": (details.get("email") or "").lower() or None,
        "phone_key": details.get("phone"),
        "name_key": name_key(details["contact_name"]),
        "company_key": company_key(details.get("company")),
    }


@dataclass(frozen=True)
class Candidate:
    lead_id: UUID
    contact_name: str
    matched_on: tuple[str, ...]
    """email, phone and/or name_and_company."""


COLUMNS = ("version", *RAW, "email_key", "phone_key", "name_key", "company_key", "merged")


class DedupeIndex(OneTable):
    ddl = DDL
    name = "dedupe_index_v1"

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
                row = rows[e.lead_id] = {"merged": False} | keys_of(e.payload["details"])
            elif row is None:
                continue
            elif e.name in ("details_updated", "duplicate_absorbed"):
                changes = e.payload["changes"] if e.name == "details_updated" else e.payload["fields_taken"]
                row |= keys_of({f: changes.get(f, row[f]) for f in RAW})
            elif e.name == "merged_into":
                row["merged"] = True
            elif e.name == "personal_data_erased":
                erased.add(e.lead_id)
            row["version"] = e.version
        save_rows(cur, self.table, COLUMNS, rows, erased)

    def candidates(self, cur: Any, details: dict[str, Any], *, limit: int = 10) -> list[Candidate]:
        """Open or closed leads (not merged away) that look like the same person."""
        k = keys_of(details)
        cur.execute(
            f"SELECT lead_id, contact_name, email_key, phone_key, name_key, company_key FROM {self.table} "
            "WHERE NOT merged AND (email_key = %(email_key)s OR phone_key = %(phone_key)s "
            "                      OR company_key = %(company_key)s) LIMIT 500",
            k,
        )
        found = []
        for lead_id, contact_name, email, phone, name, company in cur.fetchall():
            matched = [
                label
                for label, hit in (
                    ("email", k["email_key"] is not None and email == k["email_key"]),
                    ("phone", k["phone_key"] is not None and phone == k["phone_key"]),
                    (
                        "name_and_company",
                        company is not None
                        and company == k["company_key"]
                        and fuzz.token_sort_ratio(name, k["name_key"]) >= NAME_MATCH,
                    ),
                )
                if hit
            ]
            if matched:
                found.append(Candidate(lead_id, contact_name, tuple(matched)))
        return sorted(found, key=lambda c: -len(c.matched_on))[:limit]
