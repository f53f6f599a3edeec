"""Paging of the lists that answer a JSON array: the next page is a ``Link`` (RFC 8288) with
``rel="next"``, its URL this request's with the ``cursor`` the list handed out, so the body
keeps its shape and a client follows links rather than building URLs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request, Response

from projections.lead_queries import Page

Cursor = Annotated[
    str | None,
    Query(
        max_length=2000,
        pattern=r"^[A-Za-z0-9_-]+=*$",
        description='Where the previous page ended: the `cursor` of its `Link: <...>; rel="next"` header',
    ),
]
Limit = Annotated[int, Query(ge=1, le=500)]
LINKED: dict[int | str, dict[str, Any]] = {
    200: {
        "headers": {
            "Link": {
                "description": 'The next page, when there is one: `<URL>; rel="next"` (RFC 8288)',
                "schema": {"type": "string"},
            }
        }
    }
}


def linked(page: Page, request: Request, response: Response) -> list[dict[str, Any]]:
    """The page's rows, with a ``Link`` to the next page when there is one."""
    if page.next_cursor is not None:
        url = request.url.include_query_params(cursor=page.next_cursor)
        response.headers["Link"] = f'<{url}>; rel="next"'
    return page.rows
