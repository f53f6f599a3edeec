"""The event store's log as a projection's source (embedded mode, and every rebuild). The Kafka
topic is the other source, an adapter in ``infra.kafka_source``; both hand the runner batches
of :class:`~domain.contract.envelope.Envelope` plus the position each batch reaches."""

from __future__ import annotations

import threading
from collections.abc import Callable

from consumers.ports import Batch, Wakeup
from domain.ports import EventLog

LISTEN_WAIT_S = 1.0
"""How long an idle reader with a wake-up sleeps at most (it rechecks ``stop`` that often)."""


class NotificationLogSource:
    """Reads the event store's notification log after the stored position. Ids commit in
    order (the recorder locks the table on insert), so reading past the last id is safe.
    With a ``wakeup`` (LISTEN on the store's channel) an idle reader sleeps until something
    is recorded instead of querying the log again after ``timeout_s``."""

    name = "log"

    def __init__(
        self, *, event_log: EventLog, batch_size: int, stop: threading.Event, wakeup: Wakeup | None = None
    ) -> None:
        self.event_log = event_log
        self.batch_size = batch_size
        self.stop = stop
        self.wakeup = wakeup
        self.position = 0

    def start(self, load_positions: Callable[[], dict[int, int]]) -> None:
        self.position = load_positions().get(0, 0)

    def poll(self, timeout_s: float) -> Batch:
        events, last = self.event_log.read(start=self.position + 1, limit=self.batch_size)
        if last is None:
            if self.wakeup is not None and timeout_s > 0:
                self.wakeup.wait(max(timeout_s, LISTEN_WAIT_S))
            else:
                self.stop.wait(timeout_s)
            return Batch()
        return Batch(events, {0: last})

    def acknowledge(self, batch: Batch) -> None:
        self.position = batch.positions.get(0, self.position)

    def close(self) -> None:
        if self.wakeup is not None:
            self.wakeup.close()
