"""The tamper-evident chain over each aggregate's stored events: the published algorithm, and
how a broken chain is told apart (edited, deleted, reordered, inserted).

Every stored event gets a link when it is written, in the same transaction::

    link_0 = the aggregate's id, 16 bytes (UUID.bytes)
    link_n = HMAC-SHA256(key, link_{n-1} || stored_n)

where ``stored_n`` is the event's bytes exactly as stored (personal fields sealed). Erasure
destroys a data key, never a stored byte, so an erased lead's chain still verifies. The key is
the engine's audit key (``LEADS_AUDIT_KEY``): whoever lacks it cannot forge a link, so an
edit made directly in the database shows, and where it shows says what was done.

Pure: the writer (``infra.event_chain``), the verifier and a reviewer's offline check all use
these few functions.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

ALGORITHM = "link_0 = aggregate id (16 bytes); link_n = HMAC-SHA256(key, link_{n-1} || stored bytes of event n)"
"""As published with every export line (``chain.algorithm``) and in docs/audit.md."""


def first_link(aggregate_id: UUID) -> bytes:
    """The link before an aggregate's first event: its id, so no history can be grafted on another."""
    return aggregate_id.bytes


def next_link(key: bytes, previous: bytes, stored: bytes | memoryview) -> bytes:
    return hmac.digest(key, previous + stored, "sha256")


class BreakKind(StrEnum):
    EDITED = "edited"
    """The bytes at this version are not the ones linked here, and belong nowhere else."""
    DELETED = "deleted"
    """The event linked at this version is gone (its link remains, or the versions skip it)."""
    REORDERED = "reordered"
    """The bytes at this version were linked at another version, whose own event is here too."""
    INSERTED = "inserted"
    """An event the chain never linked: no link at its version, or it pushed linked events down."""


@dataclass(frozen=True)
class Break:
    aggregate_id: UUID
    version: int
    kind: BreakKind
    detail: str


@dataclass(frozen=True)
class ChainRow:
    """One version of an aggregate as found: its stored bytes and its link, either may be missing."""

    version: int
    stored: bytes | memoryview | None
    link: bytes | memoryview | None


def first_break(
    key: bytes, aggregate_id: UUID, rows: Sequence[ChainRow], *, anchor: bytes | None = None
) -> Break | None:
    """The first break in one aggregate's chain (``rows`` in version order), or None when whole.
    ``anchor``: the link before ``rows[0]`` when the check starts mid-chain (``--since``)."""
    if not rows:
        return None
    start = rows[0].version
    if anchor is None and start != 1:
        return Break(aggregate_id, 1, BreakKind.DELETED, f"the first {start - 1} event(s) and their links are gone")
    previous = anchor if anchor is not None else first_link(aggregate_id)
    expected = start
    for row in rows:
        if row.version != expected:
            return Break(aggregate_id, expected, BreakKind.DELETED, "the versions skip this one: event and link gone")
        stored, link = row.stored, row.link
        if stored is not None and link is not None and hmac.compare_digest(next_link(key, previous, stored), link):
            previous = bytes(link)
            expected += 1
            continue
        return _classify(key, aggregate_id, rows, row, previous)
    return None


def _classify(key: bytes, aggregate_id: UUID, rows: Sequence[ChainRow], at: ChainRow, previous: bytes) -> Break:
    """Why the link at ``at`` does not hold, judged from where its bytes (and its link's event)
    are found in the rest of the aggregate's rows. Only runs on a break, so it may cost O(n)."""

    def broken(kind: BreakKind, detail: str) -> Break:
        return Break(aggregate_id, at.version, kind, detail)

    if at.stored is None:
        return broken(BreakKind.DELETED, "the event linked at this version is gone; its link remains")
    if at.link is None:
        return broken(BreakKind.INSERTED, "an event the chain never linked (no link at this version)")
    links = {r.version: bytes(r.link) for r in rows if r.link is not None}

    def linked_at(stored: bytes | memoryview) -> int | None:
        for version, link in links.items():
            before = links.get(version - 1, first_link(aggregate_id) if version == 1 else None)
            if before is not None and hmac.compare_digest(next_link(key, before, stored), link):
                return version
        return None

    own = bytes(at.link)
    home = linked_at(at.stored)
    if home is not None:
        own_event_elsewhere = any(
            r.stored is not None and r is not at and hmac.compare_digest(next_link(key, previous, r.stored), own)
            for r in rows
        )
        if own_event_elsewhere:
            return broken(BreakKind.REORDERED, f"holds the event linked at version {home}")
        if home > at.version:
            return broken(BreakKind.DELETED, f"the event linked here is gone; later events moved up (from {home})")
        return broken(BreakKind.INSERTED, f"events were inserted before it (it was linked at version {home})")
    following = next((r.stored for r in rows if r.version == at.version + 1), None)
    if following is not None and hmac.compare_digest(next_link(key, previous, following), own):
        return broken(BreakKind.INSERTED, "an event the chain never linked, pushing the linked ones down")
    return broken(BreakKind.EDITED, "the stored bytes differ from those linked at write time")
