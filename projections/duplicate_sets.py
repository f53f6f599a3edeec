"""``duplicate_sets``: what each duplicate scan found (its report and its sets), for people to
review and merge. Written by the scan job, not folded from events: a scan is a snapshot of the
leads as the dedupe index had them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.duplicate_scan import ScanReport
from projections.base import create_once, fetch_dicts

DDL = """
CREATE TABLE {scans} (
    scan_id   uuid PRIMARY KEY,
    finished  timestamptz NOT NULL DEFAULT now(),
    scanned   integer NOT NULL,
    compared  bigint  NOT NULL,
    pairs     integer NOT NULL,
    sets      integer NOT NULL,
    seconds   double precision NOT NULL,
    rate      double precision NOT NULL
);
CREATE TABLE {sets} (
    scan_id    uuid    NOT NULL,
    set_no     integer NOT NULL,
    lead_ids   uuid[]  NOT NULL,
    matched_on text[]  NOT NULL,
    PRIMARY KEY (scan_id, set_no)
);
"""


class DuplicateSets:
    def __init__(self, *, schema: str) -> None:
        self.scans = f"{schema}.duplicate_scans_v1"
        self.sets = f"{schema}.duplicate_sets_v1"

    def create(self, cur: Any) -> None:
        create_once(cur, self.scans, DDL.format(scans=self.scans, sets=self.sets))

    def save(self, cur: Any, scan_id: UUID, report: ScanReport) -> None:
        cur.execute(
            f"INSERT INTO {self.scans} (scan_id, scanned, compared, pairs, sets, seconds, rate) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (
                str(scan_id),
                report.scanned,
                report.compared,
                len(report.pairs),
                len(report.sets),
                report.seconds,
                report.rate,
            ),
        )
        for n, s in enumerate(report.sets):
            cur.execute(
                f"INSERT INTO {self.sets} (scan_id, set_no, lead_ids, matched_on) VALUES (%s, %s, %s::uuid[], %s)",
                (str(scan_id), n, [str(i) for i in s.lead_ids], list(s.matched_on)),
            )

    def latest(self, cur: Any, *, limit: int) -> dict[str, Any] | None:
        """The last scan's report and up to ``limit`` of its sets."""
        cur.execute(f"SELECT * FROM {self.scans} ORDER BY finished DESC LIMIT 1")
        scans = fetch_dicts(cur)
        if not scans:
            return None
        scan = scans[0]
        cur.execute(
            f"SELECT set_no, lead_ids, matched_on FROM {self.sets} WHERE scan_id = %s ORDER BY set_no LIMIT %s",
            (str(scan["scan_id"]), limit),
        )
        sets = [
            {"lead_ids": [str(i) for i in r["lead_ids"]], "matched_on": list(r["matched_on"])} for r in fetch_dicts(cur)
        ]
        return {**scan, "scan_id": str(scan["scan_id"]), "finished": scan["finished"].isoformat(), "items": sets}
