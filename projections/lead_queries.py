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

from domain.lifecycle import TERMINAL
from projections.base import fetch_dicts
from projections.lead_list import LeadList

SORTS = {"created_at": "timestamptz", "updated_at": "timestamptz", "score": "integer", "contact_name": "text"}
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
    "first_contacted_at",
    "last_activity_at",
    "unread",
    "created_at",
    "updated_at",
)

EQUALS = ("status", "owner", "source", "priority", "temperature", "industry", "country", "region", "unread")


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
    industry: str | None = None
    country: str | None = None
    region: str | None = None
    unread: bool | None = None
    text: str | None = None
    min_score: int | None = None
    created_after: datetime | None = None
    open_only: bool = False
    lead_ids: tuple[UUID, ...] | None = field(default=None)


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


class LeadQueries:
    def __init__(self, *, schema: str) -> None:
        self.table = LeadList(schema=schema).table

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
            where.append(f"({sort}, lead_id) {'<' if descending else '>'} (%(c_value)s::{SORTS[sort]}, %(c_id)s::uuid)")
            params |= {"c_value": value, "c_id": lead_id}
        order = "DESC" if descending else "ASC"
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        cur.execute(
            f"SELECT {', '.join(PUBLIC_COLUMNS)} FROM {self.table} {clause} "
            f"ORDER BY {sort} {order}, lead_id {order} LIMIT %(limit)s",
            params | {"limit": limit + 1},
        )
        rows = fetch_dicts(cur)
        more = len(rows) > limit
        rows = rows[:limit]
        return Page(rows, encode_cursor(sort, rows[-1]) if more else None)

    @staticmethod
    def _where(f: LeadFilter) -> tuple[list[str], dict[str, Any]]:
        where: list[str] = []
        params: dict[str, Any] = {}
        for name in EQUALS:
            value = getattr(f, name)
            if value is not None:
                where.append(f"{name} = %({name})s")
                params[name] = value
        tsquery = text_query(f.text) if f.text else None
        if f.text and not tsquery:
            where.append("false")
        if tsquery:
            where.append("search @@ to_tsquery('simple', %(tsquery)s)")
            params["tsquery"] = tsquery
        if f.min_score is not None:
            where.append("score >= %(min_score)s")
            params["min_score"] = f.min_score
        if f.created_after is not None:
            where.append("created_at >= %(created_after)s")
            params["created_after"] = f.created_after
        if f.open_only:
            where.append("status <> ALL(%(terminal)s)")
            params["terminal"] = sorted(s.value for s in TERMINAL)
        if f.lead_ids is not None:
            where.append("lead_id = ANY(%(lead_ids)s::uuid[])")
            params["lead_ids"] = [str(i) for i in f.lead_ids]
        return where, params

    def get(self, cur: Any, lead_id: UUID) -> dict[str, Any] | None:
        cur.execute(f"SELECT {', '.join(PUBLIC_COLUMNS)} FROM {self.table} WHERE lead_id = %s", (lead_id,))
        rows = fetch_dicts(cur)
        return rows[0] if rows else None

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
