"""The duplicate scan: every pair of existing leads the duplicate policy (``domain.duplicate_policy``)
says is one person, grouped into duplicate sets for a person to review and merge.

Comparing every lead with every other is quadratic, so the scan compares only within blocks of
leads that share a key the policy matches on (email, phone, company): a pair the policy would
match always shares one of them. A block larger than ``MAX_BLOCK`` (a company with thousands of
leads) is compared in a window of ``WINDOW`` neighbours sorted by last name, then first name.
Pairs a person declared "not a duplicate" are never reported again.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from uuid import UUID

from domain.duplicate_policy import Indexed, matched_rules, person_name

MAX_BLOCK = 500
WINDOW = 25
PROGRESS_EVERY = 1000


@dataclass(frozen=True)
class Scanned:
    """A lead as the scan sees it: its keys, and the records a person said it does not duplicate."""

    record: Indexed
    distinct_from: frozenset[UUID] = frozenset()


@dataclass(frozen=True)
class DuplicateSet:
    lead_ids: tuple[UUID, ...]
    matched_on: tuple[str, ...]


@dataclass
class ScanReport:
    scanned: int = 0
    compared: int = 0
    pairs: list[tuple[UUID, UUID]] = field(default_factory=list)
    sets: list[DuplicateSet] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        """Leads scanned per second."""
        return self.scanned / self.seconds if self.seconds else 0.0


def _keys(r: Indexed) -> dict[str, object]:
    return {"email_key": r.email_key, "phone_key": r.phone_key, "company_key": r.company_key, "name_key": r.name_key}


def _blocks(records: list[Scanned]) -> list[list[int]]:
    by_key: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, s in enumerate(records):
        for kind in ("email_key", "phone_key", "company_key"):
            value = getattr(s.record, kind)
            if value:
                by_key[(kind, value)].append(i)
    return [b for b in by_key.values() if len(b) > 1]


def _pairs_of(block: list[int], records: list[Scanned]) -> Iterable[tuple[int, int]]:
    if len(block) <= MAX_BLOCK:
        return ((a, b) for n, a in enumerate(block) for b in block[n + 1 :])
    names = {i: person_name(records[i].record.name_key) for i in block}
    ordered = sorted(block, key=lambda i: (names[i].last, names[i].first))
    return ((a, b) for n, a in enumerate(ordered) for b in ordered[n + 1 : n + 1 + WINDOW])


def scan(items: Iterable[Scanned], *, progress: Callable[[int, int], None] | None = None) -> ScanReport:
    """Duplicate sets among ``items``; ``progress(done, total)`` is called as blocks are compared."""
    started = time.monotonic()
    records = list(items)
    report = ScanReport(scanned=len(records))
    parent = list(range(len(records)))
    rules: dict[int, set[str]] = defaultdict(set)

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    seen: set[tuple[int, int]] = set()
    blocks = _blocks(records)
    for done, block in enumerate(blocks, 1):
        for a, b in _pairs_of(block, records):
            pair = (a, b) if a < b else (b, a)
            if pair in seen:
                continue
            seen.add(pair)
            report.compared += 1
            x, y = records[a], records[b]
            if y.record.record_id in x.distinct_from or x.record.record_id in y.distinct_from:
                continue
            matched = matched_rules(_keys(x.record), y.record)
            if matched:
                report.pairs.append((x.record.record_id, y.record.record_id))
                ra, rb = root(a), root(b)
                parent[ra] = rb
                rules[rb] |= rules.pop(ra, set()) | set(matched)
        if progress and (done % PROGRESS_EVERY == 0 or done == len(blocks)):
            progress(done, len(blocks))
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(records)):
        groups[root(i)].append(i)
    report.sets = [
        DuplicateSet(tuple(records[i].record.record_id for i in members), tuple(sorted(rules[r])))
        for r, members in groups.items()
        if len(members) > 1
    ]
    report.seconds = time.monotonic() - started
    return report
