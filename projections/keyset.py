"""Keyset cursors for the lists that page newest (or oldest) first: the sort key of the last
row handed out, opaque to the client (base64url JSON), checked when it comes back.

Every page is as cheap as the first (no OFFSET), and rows written meanwhile neither repeat
nor vanish between pages."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson

from projections.lead_queries import BadCursor, Page


def _int(value: Any) -> int:
    if type(value) is not int or not -(2**31) <= value < 2**31:
        raise ValueError("not a version")
    return value


def _moment(value: Any) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("a moment without an offset")
    return moment


KEY_TYPES: dict[str, Callable[[Any], Any]] = {"int": _int, "moment": _moment, "uuid": UUID}


def encode(kind: str, values: Sequence[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else str(v) if isinstance(v, UUID) else v for v in values]
    return base64.urlsafe_b64encode(orjson.dumps([kind, *plain])).decode()


def decode(kind: str, cursor: str, types: Sequence[str]) -> list[Any]:
    """The sort key a cursor of list ``kind`` points after; :class:`BadCursor` for anything this
    API did not hand out for that list."""
    try:
        cursor_kind, *values = orjson.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
        if cursor_kind != kind or len(values) != len(types):
            raise BadCursor(f"not a cursor of this list ({kind})")
        return [KEY_TYPES[t](v) for t, v in zip(types, values, strict=True)]
    except BadCursor:
        raise
    except (ValueError, TypeError, OverflowError, AttributeError, KeyError) as e:
        raise BadCursor(f"not a cursor from this API ({type(e).__name__})") from None


def page(kind: str, rows: list[dict[str, Any]], limit: int, key: Sequence[str]) -> Page:
    """``rows`` (fetched with ``limit + 1``) as a page, and the cursor of the next if there is one."""
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, encode(kind, [rows[-1][k] for k in key]) if more else None)
