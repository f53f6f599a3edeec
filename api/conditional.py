"""Conditional requests as RFC 9110 (section 13) defines them, on a lead's version.

A lead's representation changes only with its version, so ``"<version>"`` is a strong entity
tag: GET sends it as ``ETag``; ``If-None-Match`` naming it answers 304 (weak comparison, as the
RFC asks for that header); a command's ``If-Match`` must name the current version by strong
comparison, so a weak ``W/`` tag never matches, and a failed ``If-Match`` is a 412."""

from __future__ import annotations

import re

from starlette.responses import Response

TAG = re.compile(r'\s*(W/)?"([^"]*)"\s*')


class PreconditionFailed(Exception):
    """``If-Match`` did not match the lead's current version (RFC 9110 13.1.1)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def entity_tag(version: int) -> str:
    return f'"{version}"'


def tags_of(header: str) -> list[tuple[bool, str]] | None:
    """(weak, opaque tag) of each entity tag in a header's list; None for ``*``."""
    if header.strip() == "*":
        return None
    found = []
    for part in header.split(","):
        match = TAG.fullmatch(part)
        if match:
            found.append((match.group(1) is not None, match.group(2)))
    return found


def none_match(if_none_match: str | None, version: int) -> bool:
    """Whether ``If-None-Match`` names the representation the client already has (weak
    comparison: ``W/"3"`` matches ``"3"``)."""
    if if_none_match is None:
        return False
    tags = tags_of(if_none_match)
    return tags is None or any(tag == str(version) for _, tag in tags)


def not_modified(version: int) -> Response:
    return Response(status_code=304, headers={"ETag": entity_tag(version)})
