"""The duplicate scan job: reads every lead from the dedupe index, finds duplicate sets with the
one policy (``domain.duplicate_scan``), reports progress as it goes, and stores the sets and its
report for people to review (``GET /duplicates/scan``) and merge."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from uuid import uuid4

from domain.duplicate_scan import ScanReport, scan
from projections.dedupe_index import DedupeIndex, scan_rows
from projections.duplicate_sets import DuplicateSets

log = logging.getLogger(__name__)


class DuplicateScanJob:
    name = "duplicate-scan"

    def __init__(self, *, cursor: Callable[[], Any], schema: str) -> None:
        self.cursor = cursor
        self.index = DedupeIndex(schema=schema)
        self.store = DuplicateSets(schema=schema)
        self.status = "idle"

    def run(self, progress: Callable[[int, int], None] | None = None) -> ScanReport:
        def report(done: int, total: int) -> None:
            self.status = f"comparing: {done}/{total} blocks"
            if progress:
                progress(done, total)

        self.status = "reading"
        with self.cursor() as cur:
            rows = scan_rows(cur, self.index.table)
        found = scan(rows, progress=report)
        with self.cursor() as cur:
            self.store.create(cur)
            self.store.save(cur, uuid4(), found)
        self.status = f"done: {len(found.sets)} sets among {found.scanned} leads"
        log.info("duplicate scan: %s (%.0f leads/s)", self.status, found.rate)
        return found
