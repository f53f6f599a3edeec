"""The import retention sweep: an import's rows keep the file's cells and each row's verdict
(personal data) for the rejected-rows download and the per-row report; once the job has not
moved for ``import_retention_days`` they are deleted, and the job keeps only its counts."""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from consumers.periodic import Periodic
from consumers.ports import ImportStore

log = logging.getLogger(__name__)
JOBS_PER_PASS = 100


class ImportRetention(Periodic):
    name = "import-retention"

    def __init__(self, *, store: ImportStore, days: int, interval_s: float, stop: threading.Event) -> None:
        self.store = store
        self.days = days
        super().__init__(interval_s=interval_s, stop=stop)

    def sweep(self, *, now: datetime) -> int:
        """Purge every job past its time, a bounded number per transaction; how many."""
        purged = 0
        while not self.stop.is_set():
            done = self.store.purge(older_than_days=self.days, limit=JOBS_PER_PASS)
            purged += done
            if done < JOBS_PER_PASS:
                break
        if purged:
            log.info("import retention: deleted the rows of %d import job(s) idle for %d days", purged, self.days)
        return purged
