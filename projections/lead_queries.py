"""Queries over ``lead_list``: filters, sort and keyset pagination, and the system views.

Keyset pagination (``(sort value, lead_id)`` past the cursor) keeps every page as cheap as the
first, however deep the caller pages, and never skips or repeats a row while leads change.
"""

from __future__ import annotations

import base64
import re
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import orjson

from domain.access import LeadScope
from domain.lifecycle import TERMINAL
from projections.base import fetch_dicts
from projections.lead_list import LeadList
from projections.user_state import UserState

SORTS = {
    "created_at": "timestamptz",
    "updated_at": "timestamptz",
    "score": "integer",
    "grade": "text",
    "contact_name": "text",
}
"""Sortable columns (never null, so keyset comparisons hold) and their SQL types."""

PUBLIC_COLUMNS = (
    "lead_id",
    "version",
    "contact_name",
    "email",
    "phone",
    "company",
    "industry",
    "country",
    "region",
    "source",
    "priority",
    "status",
    "owner",
    "score",
    "temperature",
    "grade",
    "stage",
    "first_contacted_at",
    "last_activity_at",
    "unread",
    "created_at",
    "updated_at",
)

EQUALS = ("status", "owner", "source", "priority", "temperature", "grade", "stage")
"""Filters compared as given (their values are canonical)."""
CASE_BLIND = ("industry", "country", "region")
"""Filters on what people type in their own way: ``industry=software`` finds "Software"."""
UNREAD = "(l.unread AND coalesce(r.version, 0) < l.version)"
"""Changed by someone other than its owner since the owner last opened it or acted on it."""


def merge_filters(base: LeadFilter, override: LeadFilter) -> LeadFilter:
    """``base`` (a view) narrowed or overridden by what the caller set explicitly."""
    explicit = {k: v for k, v in asdict(override).items() if v is not None and v is not False}
    return replace(base, **explicit)


class BadCursor(ValueError):
    """A ``cursor`` that this API did not hand out (or for another sort)."""


@dataclass(frozen=True)
class LeadFilter:
    """What a list asks for; None means any."""

    status: str | None = None
    owner: str | None = None
    source: str | None = None
    priority: str | None = None
    temperature: str | None = None
    grade: str | None = None
    stage: str | None = None
    industry: str | None = None
    country: str | None = None
    region: str | None = None
    unread: bool | None = None
    text: str | None = None
    min_score: int | None = None
    created_after: datetime | None = None
    open_only: bool = False
    lead_ids: tuple[UUID, ...] | None = field(default=None)
    archived: bool | None = False
    """False (lists by default): archived leads are left out; True: only they; None: both.
    Deleted leads are never listed."""
    scope: LeadScope | None = None
    """The leads the caller may see (None: every lead)."""


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    next_cursor: str | None


def encode_cursor(sort: str, row: dict[str, Any]) -> str:
    value = row[sort].isoformat() if isinstance(row[sort], datetime) else row[sort]
    return base64.urlsafe_b64encode(orjson.dumps([sort, value, str(row["lead_id"])])).decode()


def decode_cursor(sort: str, cursor: str) -> tuple[Any, str]:
    """The sort value and lead id a cursor points after; anything else is a :class:`BadCursor`
    (a cursor is the client's to keep, so it may come back edited, or from elsewhere)."""
    try:
        cursor_sort, value, lead_id = orjson.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
        UUID(lead_id)
        if cursor_sort != sort:
            raise BadCursor(f"the cursor is for sort={cursor_sort}, not sort={sort}")
        return CURSOR_VALUES[SORTS[sort]](value), lead_id
    except BadCursor:
        raise
    except (ValueError, TypeError, OverflowError, AttributeError, KeyError) as e:
        raise BadCursor(f"not a cursor from this API ({type(e).__name__})") from None


def _int4(value: Any) -> int:
    if type(value) is not int or not -(2**31) <= value < 2**31:
        raise ValueError("not a score")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str) or "\x00" in value:
        raise ValueError("not a name")
    value.encode("utf-8")
    return value


CURSOR_VALUES: dict[str, Any] = {
    "timestamptz": lambda v: datetime.fromisoformat(v).isoformat(),
    "integer": _int4,
    "text": _text,
}
"""How a cursor's sort value is checked, by the sort column's SQL type."""


def text_query(text: str) -> str | None:
    """Words as prefixes, all required: ``ada lov`` finds "Ada Lovelace"."""
    words = re.findall(r"\w+", text.lower())
    return " & ".join(f"{w}:*" for w in words) or None


def scope_sql(scope: LeadScope, alias: str = "l") -> tuple[str, dict[str, Any]]:
    """A WHERE clause (over ``lead_list`` as ``alias``) for the leads ``scope`` covers."""
    params: dict[str, Any] = {"scope_users": sorted(scope.users)}
    if scope.created_only:
        return f"{alias}.created_by = ANY(%(scope_users)s)", params
    unassigned = f" OR {alias}.owner IS NULL" if scope.unassigned else ""
    return (
        f"({alias}.owner = ANY(%(scope_users)s) OR {alias}.created_by = ANY(%(scope_users)s)"
        f" OR {alias}.followers && %(scope_users)s::text[]{unassigned})",
        params,
    )


class LeadQueries:
    def __init__(self, *, schema: str) -> None:
        self.table = LeadList(schema=schema).table
        self.reads = UserState(schema=schema).lead_reads

    def find(
        self,
        cur: Any,
        f: LeadFilter,
        *,
        sort: str = "created_at",
        descending: bool = True,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page:
        where, params = self._where(f)
        if cursor:
            value, lead_id = decode_cursor(sort, cursor)
            where.append(
                f"(l.{sort}, l.lead_id) {'<' if descending else '>'} (%(c_value)s::{SORTS[sort]}, %(c_id)s::uuid)"
            )
            params |= {"c_value": value, "c_id": lead_id}
        order = "DESC" if descending else "ASC"
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        cur.execute(
            f"SELECT {self._columns()} FROM {self._joined()} {clause} "
            f"ORDER BY l.{sort} {order}, l.lead_id {order} LIMIT %(limit)s",
            params | {"limit": limit + 1},
        )
        rows = fetch_dicts(cur)
        more = len(rows) > limit
        rows = rows[:limit]
        return Page(rows, encode_cursor(sort, rows[-1]) if more else None)

    def _joined(self) -> str:
        return f"{self.table} l LEFT JOIN {self.reads} r ON r.lead_id = l.lead_id AND r.user_id = l.owner"

    @staticmethod
    def _columns() -> str:
        return ", ".join(UNREAD + " AS unread" if c == "unread" else f"l.{c}" for c in PUBLIC_COLUMNS)

    @staticmethod
    def _where(f: LeadFilter) -> tuple[list[str], dict[str, Any]]:
        where: list[str] = ["NOT l.deleted"]
        params: dict[str, Any] = {}
        if f.archived is not None:
            where.append("l.archived = %(archived)s")
            params["archived"] = f.archived
        for name in EQUALS:
            value = getattr(f, name)
            if value is not None:
                where.append(f"l.{name} = %({name})s")
                params[name] = value
        for name in CASE_BLIND:
            value = getattr(f, name)
            if value is not None:
                where.append(f"lower(l.{name}) = lower(%({name})s)")
                params[name] = value
        if f.unread is not None:
            where.append(f"{UNREAD} = %(unread)s")
            params["unread"] = f.unread
        if f.scope is not None:
            clause, scope_params = scope_sql(f.scope)
            where.append(clause)
            params |= scope_params
        tsquery = text_query(f.text) if f.text else None
        if f.text and not tsquery:
            where.append("false")
        if tsquery:
            where.append("l.search @@ to_tsquery('simple', %(tsquery)s)")
            params["tsquery"] = tsquery
        if f.min_score is not None:
            where.append("l.score >= %(min_score)s")
            params["min_score"] = f.min_score
        if f.created_after is not None:
            where.append("l.created_at >= %(created_after)s")
            params["created_after"] = f.created_after
        if f.open_only:
            where.append("l.status <> ALL(%(terminal)s)")
            params["terminal"] = sorted(s.value for s in TERMINAL)
        if f.lead_ids is not None:
            where.append("l.lead_id = ANY(%(lead_ids)s::uuid[])")
            params["lead_ids"] = [str(i) for i in f.lead_ids]
        return where, params

    def get(self, cur: Any, lead_id: UUID) -> dict[str, Any] | None:
        cur.execute(f"SELECT {self._columns()} FROM {self._joined()} WHERE l.lead_id = %s", (lead_id,))
        rows = fetch_dicts(cur)
        return rows[0] if rows else None

    def in_scope(self, cur: Any, lead_ids: set[UUID], scope: LeadScope) -> set[UUID]:
        """Those of ``lead_ids`` that ``scope`` covers."""
        clause, params = scope_sql(scope)
        cur.execute(
            f"SELECT l.lead_id FROM {self.table} l WHERE l.lead_id = ANY(%(ids)s::uuid[]) AND {clause}",
            params | {"ids": [str(i) for i in lead_ids]},
        )
        return {row[0] for row in cur.fetchall()}

    def open_leads_of(self, cur: Any, owner: str) -> list[UUID]:
        """Every lead of ``owner`` not yet converted or merged (no page limit: for mass transfers)."""
        cur.execute(
            f"SELECT lead_id FROM {self.table} WHERE owner = %s AND status <> ALL(%s) ORDER BY created_at, lead_id",
            (owner, sorted(s.value for s in TERMINAL)),
        )
        return [row[0] for row in cur.fetchall()]


RECENT = timedelta(days=7)


def system_view(name: str, *, user: str, now: datetime, aging_ids: tuple[UUID, ...]) -> LeadFilter:
    """The built-in views every user has; ``aging_ids``: the user's leads over their threshold."""
    views = {
        "my_leads": LeadFilter(owner=user, open_only=True),
        "unread": LeadFilter(owner=user, unread=True),
        "recently_created": LeadFilter(created_after=now - RECENT),
        "converted": LeadFilter(status="converted"),
        "aging": LeadFilter(lead_ids=aging_ids),
    }
    return views[name]


SYSTEM_VIEWS = ("my_leads", "unread", "recently_created", "converted", "aging")
