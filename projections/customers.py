"""``customers``: accounts, contacts and opportunities as read models, each linked both ways
(an account lists its contacts, opportunities and source leads; a contact its account and leads;
an opportunity its lead, account and contact).

Built from the customer master's events (``account.*``, ``contact.*``, ``opportunity.*``), which
this projection reads from the event store's log in every mode (they are also published), and from the lead's erasure,
which blanks the contact its conversion made. Each row keeps ``users``: who acted on the record
(converted, merged, changed it), which is what a caller's scope is matched against.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson

from domain.contract.envelope import EVERY_STREAM, Envelope
from domain.duplicate_policy import name_key
from domain.values import ERASED
from projections.base import create_once

DDL = {
    "accounts": """
CREATE TABLE {t} (
    account_id   uuid PRIMARY KEY,
    version      integer NOT NULL,
    name         text    NOT NULL,
    name_key     text    NOT NULL,
    industry     text,
    address      jsonb,
    contact_ids  uuid[]  NOT NULL DEFAULT ARRAY[]::uuid[],
    opportunity_ids uuid[] NOT NULL DEFAULT ARRAY[]::uuid[],
    lead_ids     uuid[]  NOT NULL DEFAULT ARRAY[]::uuid[],
    users        text[]  NOT NULL DEFAULT ARRAY[]::text[],
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);
CREATE INDEX ON {t} (created_at, account_id);
CREATE INDEX ON {t} USING gin (users);
""",
    "contacts": """
CREATE TABLE {t} (
    contact_id   uuid PRIMARY KEY,
    version      integer NOT NULL,
    account_id   uuid,
    name         text    NOT NULL,
    name_key     text    NOT NULL,
    email        text,
    phone        text,
    job_title    text,
    lead_ids     uuid[]  NOT NULL DEFAULT ARRAY[]::uuid[],
    users        text[]  NOT NULL DEFAULT ARRAY[]::text[],
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);
CREATE INDEX ON {t} (created_at, contact_id);
CREATE INDEX ON {t} (account_id);
CREATE INDEX ON {t} (lower(email));
""",
    "opportunities": """
CREATE TABLE {t} (
    opportunity_id uuid PRIMARY KEY,
    version      integer NOT NULL,
    lead_id      uuid    NOT NULL,
    account_id   uuid    NOT NULL,
    contact_id   uuid    NOT NULL,
    name         text    NOT NULL,
    name_key     text    NOT NULL,
    stage        text    NOT NULL,
    amount       numeric NOT NULL,
    probability  integer NOT NULL,
    close_date   date    NOT NULL,
    owner        text,
    users        text[]  NOT NULL DEFAULT ARRAY[]::text[],
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);
CREATE INDEX ON {t} (created_at, opportunity_id);
CREATE INDEX ON {t} (account_id);
CREATE INDEX ON {t} (owner, stage);
""",
}
KINDS = ("accounts", "contacts", "opportunities")
KEY = {"accounts": "account_id", "contacts": "contact_id", "opportunities": "opportunity_id"}


class Customers:
    """The projection (one consumer, three tables)."""

    name = "customers_v1"
    streams = EVERY_STREAM
    log_only = True
    """Read from the event store's log in every mode: a contact's registration links it into its
    account, and only the log keeps the two records' events in one order (on Kafka they are on
    different partitions)."""

    def __init__(self, *, schema: str, suffix: str = "") -> None:
        self.table = {k: f"{schema}.{self.name}_{k}{suffix}" for k in KINDS}
        self.tables = [self.table[k] for k in KINDS]

    def create(self, cur: Any) -> None:
        for kind in KINDS:
            create_once(cur, self.table[kind], DDL[kind].format(t=self.table[kind]))

    def apply(self, cur: Any, events: Sequence[Envelope]) -> None:
        for e in events:
            fold = FOLDS.get(e.kind)
            if fold is not None:
                fold(self, cur, e)

    # -- folds (each guarded by the row's version, so redelivery changes nothing) ------------

    def _touch(self, cur: Any, kind: str, e: Envelope, sets: str, params: dict[str, Any] | None = None) -> bool:
        """Apply ``sets`` to the record ``e`` is about, if it has not seen ``e`` yet."""
        cur.execute(
            f"UPDATE {self.table[kind]} SET {sets + ', ' if sets else ''}version = %(v)s, updated_at = %(t)s, "
            "users = CASE WHEN %(actor)s = ANY(users) THEN users ELSE array_append(users, %(actor)s) END "
            f"WHERE {KEY[kind]} = %(id)s AND version < %(v)s",
            {"id": str(e.lead_id), "v": e.version, "t": e.time, "actor": e.actor} | (params or {}),
        )
        return bool(cur.rowcount)

    def _insert(self, cur: Any, kind: str, e: Envelope, row: dict[str, Any]) -> None:
        row = {KEY[kind]: str(e.lead_id), "version": e.version, "created_at": e.time, "updated_at": e.time} | row
        row["users"] = [e.actor]
        cols = ", ".join(row)
        cur.execute(
            f"INSERT INTO {self.table[kind]} ({cols}) VALUES ({', '.join(f'%({c})s' for c in row)}) "
            f"ON CONFLICT ({KEY[kind]}) DO NOTHING",
            row,
        )

    def _append(self, cur: Any, kind: str, record: Any, column: str, value: Any) -> None:
        """Link ``value`` into another record's list (once)."""
        cur.execute(
            f"UPDATE {self.table[kind]} SET {column} = array_append({column}, %(x)s::uuid) "
            f"WHERE {KEY[kind]} = %(id)s AND NOT (%(x)s::uuid = ANY({column}))",
            {"id": str(record), "x": str(value)},
        )

    def account_registered(self, cur: Any, e: Envelope) -> None:
        p = e.payload
        address = p.get("address")
        row = {"name": p["name"], "name_key": name_key(p["name"]), "industry": p.get("industry")}
        self._insert(cur, "accounts", e, row | {"address": orjson_text(address)})

    def account_lead_linked(self, cur: Any, e: Envelope) -> None:
        if self._touch(cur, "accounts", e, ""):
            self._append(cur, "accounts", e.lead_id, "lead_ids", e.payload["lead_id"])
            if e.payload.get("opportunity_id"):
                self._append(cur, "accounts", e.lead_id, "opportunity_ids", e.payload["opportunity_id"])

    def account_lead_merged(self, cur: Any, e: Envelope) -> None:
        if self._touch(cur, "accounts", e, ""):
            self._append(cur, "accounts", e.lead_id, "lead_ids", e.payload["lead_id"])

    def contact_registered(self, cur: Any, e: Envelope) -> None:
        p = e.payload
        row = {
            "account_id": p["account_id"],
            "name": p["name"],
            "name_key": name_key(p["name"]),
            "email": p.get("email"),
            "phone": p.get("phone"),
            "job_title": p.get("job_title"),
        }
        self._insert(cur, "contacts", e, row)
        self._append(cur, "accounts", p["account_id"], "contact_ids", e.lead_id)

    def contact_lead(self, cur: Any, e: Envelope) -> None:
        if self._touch(cur, "contacts", e, ""):
            self._append(cur, "contacts", e.lead_id, "lead_ids", e.payload["lead_id"])

    def opportunity_opened(self, cur: Any, e: Envelope) -> None:
        p, terms = e.payload, e.payload["terms"]
        row = {
            "lead_id": p["lead_id"],
            "account_id": p["account_id"],
            "contact_id": p["contact_id"],
            "name": terms["name"],
            "name_key": name_key(terms["name"]),
            "stage": terms["stage"],
            "amount": terms["deal_value"],
            "probability": terms["probability"],
            "close_date": terms["expected_close"],
            "owner": e.actor,
        }
        self._insert(cur, "opportunities", e, row)

    def opportunity_changed(self, cur: Any, e: Envelope) -> None:
        p = e.payload
        if e.kind == "opportunity.stage_moved":
            closed = {"closed_won": 100, "closed_lost": 0}.get(p["stage"])
            sets = "stage = %(x)s" + (", probability = %(p)s" if closed is not None else "")
            self._touch(cur, "opportunities", e, sets, {"x": p["stage"], "p": closed})
        else:
            column, field = {
                "opportunity.amount_changed": ("amount", "amount"),
                "opportunity.probability_changed": ("probability", "probability"),
                "opportunity.close_date_changed": ("close_date", "close_date"),
            }[e.kind]
            self._touch(cur, "opportunities", e, f"{column} = %(x)s", {"x": p[field]})

    def lead_erased(self, cur: Any, e: Envelope) -> None:
        """The contact a conversion made for an erased lead forgets who the person was."""
        contact = e.payload.get("contact_id")
        if contact:
            cur.execute(
                f"UPDATE {self.table['contacts']} SET name = %s, name_key = '', email = NULL, phone = NULL, "
                "job_title = NULL WHERE contact_id = %s",
                (ERASED, str(contact)),
            )


def orjson_text(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


FOLDS: dict[str, Callable[[Customers, Any, Envelope], None]] = {
    "account.registered": Customers.account_registered,
    "account.lead_linked": Customers.account_lead_linked,
    "account.lead_merged": Customers.account_lead_merged,
    "contact.registered": Customers.contact_registered,
    "contact.lead_linked": Customers.contact_lead,
    "contact.lead_merged": Customers.contact_lead,
    "opportunity.opened": Customers.opportunity_opened,
    "opportunity.stage_moved": Customers.opportunity_changed,
    "opportunity.amount_changed": Customers.opportunity_changed,
    "opportunity.probability_changed": Customers.opportunity_changed,
    "opportunity.close_date_changed": Customers.opportunity_changed,
    "lead.personal_data_erased": Customers.lead_erased,
}
