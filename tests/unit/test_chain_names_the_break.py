"""The hash chain tells what was done to a history: an untouched chain holds, and the first
break is named edited, deleted, reordered or inserted (``domain.contract.chain``)."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.contract.chain import BreakKind, ChainRow, first_break, first_link, next_link

KEY = b"k" * 32
LEAD = uuid4()


def written(count: int) -> list[ChainRow]:
    """``count`` events linked as the writer links them."""
    rows, previous = [], first_link(LEAD)
    for version in range(1, count + 1):
        stored = f'{{"event": {version}}}'.encode()
        previous = next_link(KEY, previous, stored)
        rows.append(ChainRow(version, stored, previous))
    return rows


def renumbered(rows: list[ChainRow], stored: list[bytes | None], links: list[bytes | None]) -> list[ChainRow]:
    versions = range(1, max(len(stored), len(links)) + 1)
    pad = [None] * len(versions)
    return [ChainRow(v, s, k) for v, s, k in zip(versions, [*stored, *pad], [*links, *pad], strict=False)]


def test_an_untouched_history_holds() -> None:
    assert first_break(KEY, LEAD, written(6)) is None


def test_changed_bytes_are_an_edit_at_their_version() -> None:
    rows = written(5)
    rows[2] = ChainRow(3, rows[2].stored + b" ", rows[2].link)  # type: ignore[operator]
    found = first_break(KEY, LEAD, rows)
    assert found is not None and (found.version, found.kind) == (3, BreakKind.EDITED)


def test_a_forged_link_without_the_key_is_an_edit() -> None:
    rows = written(4)
    forged = next_link(b"not the key", rows[0].link, b"{}")  # type: ignore[arg-type]
    rows[1] = ChainRow(2, b"{}", forged)
    found = first_break(KEY, LEAD, rows)
    assert found is not None and (found.version, found.kind) == (2, BreakKind.EDITED)


@pytest.mark.parametrize("how", ["event only", "event and link", "renumbered"])
def test_a_removed_event_is_a_deletion(how: str) -> None:
    rows = written(5)
    if how == "event only":
        rows[1] = ChainRow(2, None, rows[1].link)
    elif how == "event and link":
        del rows[1]
    else:
        rows = renumbered(rows, [r.stored for r in rows if r.version != 2], [r.link for r in rows])
    found = first_break(KEY, LEAD, rows)
    assert found is not None and (found.version, found.kind) == (2, BreakKind.DELETED)


def test_the_last_event_removed_with_its_link_left_is_a_deletion() -> None:
    rows = written(4)
    rows[3] = ChainRow(4, None, rows[3].link)
    found = first_break(KEY, LEAD, rows)
    assert found is not None and (found.version, found.kind) == (4, BreakKind.DELETED)


@pytest.mark.parametrize("a, b", [(2, 3), (1, 5)])
def test_swapped_events_are_reordered(a: int, b: int) -> None:
    rows = written(5)
    stored = [r.stored for r in rows]
    stored[a - 1], stored[b - 1] = stored[b - 1], stored[a - 1]
    found = first_break(KEY, LEAD, renumbered(rows, stored, [r.link for r in rows]))
    assert found is not None and (found.version, found.kind) == (a, BreakKind.REORDERED)


def test_an_appended_event_without_a_link_is_an_insertion() -> None:
    rows = [*written(3), ChainRow(4, b'{"forged": true}', None)]
    found = first_break(KEY, LEAD, rows)
    assert found is not None and (found.version, found.kind) == (4, BreakKind.INSERTED)


def test_an_event_slipped_in_between_is_an_insertion() -> None:
    rows = written(4)
    stored = [rows[0].stored, b'{"forged": true}', *[r.stored for r in rows[1:]]]
    found = first_break(KEY, LEAD, renumbered(rows, stored, [r.link for r in rows]))
    assert found is not None and (found.version, found.kind) == (2, BreakKind.INSERTED)


def test_a_check_from_the_middle_starts_at_the_anchor() -> None:
    rows = written(6)
    assert first_break(KEY, LEAD, rows[3:], anchor=rows[2].link) is None  # type: ignore[arg-type]
    assert first_break(KEY, LEAD, rows[3:], anchor=b"x" * 32) is not None


def test_a_chain_cannot_be_grafted_onto_another_lead() -> None:
    found = first_break(KEY, uuid4(), written(3))
    assert found is not None and (found.version, found.kind) == (1, BreakKind.EDITED)
