"""Queries over ``customers``: lists of accounts, contacts and opportunities with filters, search
(``q``, on transliterated names, so "Мария" finds "Maria" and back), keyset pages and the caller's
scope; and each record's document with its links both ways."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import orjson

from domain.access import LeadScope
from domain.customers import CLOSED
from domain.duplicate_policy import name_key
from projections.base import fetch_dicts
from projections.customers import KEY, Customers


class BadCustomerCursor(ValueError):
    pass


@dataclass(frozen=True)
class CustomerFilter:
    q: str | None = None
    account_id: UUID | None = None
    industry: str | None = None
    email: str | None = None
    stage: str | None = None
    owner: str | None = None
    open_only: bool = False
    closing_after: date | None = None
    closing_before: date | None = None


def encode(row: dict[str, Any], key: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([row["created_at"].isoformat(), str(row[key])])).decode()


def decode(cursor: str) -> tuple[str, str]:
    try:
        created, record = orjson.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
        UUID(record)
        return str(created), str(record)
    except Exception as e:
        raise BadCustomerCursor(f"not a cursor from this API ({type(e).__name__})") from None


def scope_sql(scope: LeadScope | None) -> tuple[str, dict[str, Any]]:
    """A record is in scope when one of the scope's users acted on it (converted, merged or
    changed it), or, for opportunities, owns it."""
    if scope is None:
        return "TRUE", {}
    return "users && %(scope_users)s::text[]", {"scope_users": sorted(scope.users)}


class CustomerQueries:
    def __init__(self, *, schema: str) -> None:
        self.model = Customers(schema=schema)

    def find(
        self, cur: Any, kind: str, f: CustomerFilter, *, scope: LeadScope | None, cursor: str | None, limit: int
    ) -> tuple[list[dict[str, Any]], str | None]:
        key = KEY[kind]
        where: list[str] = []
        params: dict[str, Any] = {"limit": limit + 1}
        in_scope, scope_params = scope_sql(scope)
        where.append(in_scope)
        params |= scope_params
        if f.q:
            where.append("name_key LIKE %(q)s")
            params["q"] = f"%{name_key(f.q)}%"
        for column, value in (("account_id", f.account_id), ("stage", f.stage), ("owner", f.owner)):
            if value is not None and kind != "accounts":
                where.append(f"{column} = %({column})s")
                params[column] = str(value)
        if f.industry and kind == "accounts":
            where.append("lower(industry) = lower(%(industry)s)")
            params["industry"] = f.industry
        if f.email and kind == "contacts":
            where.append("lower(email) = lower(%(email)s)")
            params["email"] = f.email
        if kind == "opportunities":
            if f.open_only:
                where.append("NOT (stage = ANY(%(closed)s))")
                params["closed"] = sorted(CLOSED)
            if f.closing_after:
                where.append("close_date >= %(after)s")
                params["after"] = f.closing_after
            if f.closing_before:
                where.append("close_date <= %(before)s")
                params["before"] = f.closing_before
        if cursor:
            created, record = decode(cursor)
            where.append(f"(created_at, {key}) > (%(c_at)s::timestamptz, %(c_id)s::uuid)")
            params |= {"c_at": created, "c_id": record}
        cur.execute(
            f"SELECT * FROM {self.model.table[kind]} WHERE {' AND '.join(where)} "
            f"ORDER BY created_at, {key} LIMIT %(limit)s",
            params,
        )
        rows = fetch_dicts(cur)
        more = len(rows) > limit
        rows = rows[:limit]
        return [public(r) for r in rows], encode(rows[-1], key) if more and rows else None

    def in_scope(self, cur: Any, record_ids: set[UUID], scope: LeadScope) -> set[UUID]:
        """Those of ``record_ids`` (accounts, contacts, opportunities) that ``scope`` covers."""
        clause, params = scope_sql(scope)
        found: set[UUID] = set()
        for kind in ("accounts", "contacts", "opportunities"):
            key = KEY[kind]
            cur.execute(
                f"SELECT {key} FROM {self.model.table[kind]} WHERE {key} = ANY(%(ids)s::uuid[]) AND {clause}",
                params | {"ids": [str(i) for i in record_ids]},
            )
            found |= {row[0] for row in cur.fetchall()}
        return found

    def get(self, cur: Any, kind: str, record_id: UUID, *, scope: LeadScope | None) -> dict[str, Any] | None:
        """The record's document with what links to it: an account's contacts, opportunities
        and source leads; a contact's account and opportunities; an opportunity's account and contact."""
        in_scope, params = scope_sql(scope)
        cur.execute(
            f"SELECT * FROM {self.model.table[kind]} WHERE {KEY[kind]} = %(id)s AND {in_scope}",
            {"id": str(record_id)} | params,
        )
        rows = fetch_dicts(cur)
        if not rows:
            return None
        doc = public(rows[0])
        if kind == "accounts":
            doc["contacts"] = self._linked(cur, "contacts", "account_id", record_id)
            doc["opportunities"] = self._linked(cur, "opportunities", "account_id", record_id)
        elif kind == "contacts":
            doc["opportunities"] = self._linked(cur, "opportunities", "contact_id", record_id)
            doc["account"] = self._one(cur, "accounts", doc["account_id"])
        else:
            doc["account"] = self._one(cur, "accounts", doc["account_id"])
            doc["contact"] = self._one(cur, "contacts", doc["contact_id"])
        return doc

    def _linked(self, cur: Any, kind: str, column: str, record_id: UUID) -> list[dict[str, Any]]:
        cur.execute(
            f"SELECT {KEY[kind]}, name FROM {self.model.table[kind]} WHERE {column} = %s ORDER BY created_at",
            (str(record_id),),
        )
        return [{"id": str(r[KEY[kind]]), "name": r["name"]} for r in fetch_dicts(cur)]

    def _one(self, cur: Any, kind: str, record_id: Any) -> dict[str, Any] | None:
        if record_id is None:
            return None
        cur.execute(f"SELECT {KEY[kind]}, name FROM {self.model.table[kind]} WHERE {KEY[kind]} = %s", (str(record_id),))
        rows = fetch_dicts(cur)
        return {"id": str(rows[0][KEY[kind]]), "name": rows[0]["name"]} if rows else None


def public(row: dict[str, Any]) -> dict[str, Any]:
    """A row as the API shows it: ids and dates as text, lead ids as ``source_leads``."""
    out: dict[str, Any] = {}
    for k, v in row.items():
        if k in ("name_key", "users"):
            continue
        if k == "lead_ids":
            out["source_leads"] = [str(x) for x in v]
        elif isinstance(v, list):
            out[k] = [str(x) for x in v]
        elif isinstance(v, UUID | date):
            out[k] = str(v) if isinstance(v, UUID) else v.isoformat()
        elif k == "address" and isinstance(v, str):
            out[k] = orjson.loads(v)
        elif k == "amount":
            out[k] = str(v)
        else:
            out[k] = v
    return out
