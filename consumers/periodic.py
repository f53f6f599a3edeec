"""A worker that sweeps on a schedule (the aging and speed-to-lead monitors): a failed sweep is
logged and tried again at the next interval, and ``status`` says how the last one went."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

log = logging.getLogger(__name__)


class Periodic:
    name = "periodic"

    def __init__(self, *, interval_s: float, stop: threading.Event) -> None:
        self.interval_s = interval_s
        self.stop = stop
        self.status = "starting"

    def sweep(self, *, now: datetime) -> int:
        """One pass; returns how many things it did."""
        raise NotImplementedError

    def run(self) -> None:
        self.status = "running"
        while not self.stop.is_set():
            try:
                self.sweep(now=datetime.now(UTC))
                self.status = "running"
            except Exception as e:
                self.status = f"retrying: {e}"
                log.exception("%s sweep failed; trying again next interval", self.name)
            self.stop.wait(self.interval_s)
        self.status = "stopped"
