"""Runs one projection from one source: apply a batch and its position in ONE transaction.

A failing batch is retried event by event, so the events before a poison event are kept and
the projection halts naming the exact event (lead, version, reason) instead of skipping it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from consumers.fan_out import common_start, members_of
from consumers.log_context import handling
from consumers.ports import Batch, Source
from consumers.positions import Positions
from consumers.progress import ProgressBoard
from consumers.quarantine import Quarantine
from consumers.tracing import applying
from domain.contract.envelope import Envelope
from projections.base import Projection, lock_ddl

log = logging.getLogger(__name__)


class ProjectionRunner:
    def __init__(
        self,
        *,
        projection: Projection,
        source: Source,
        connect: Callable[[], Any],
        positions: Positions,
        stop: threading.Event,
        idle_wait_s: float,
        quarantine: Quarantine | None = None,
        board: ProgressBoard | None = None,
    ) -> None:
        """``quarantine``: where to record events that cannot be applied and go on; without
        one, such an event halts the projection. ``board``: told of every committed batch."""
        self.board = board
        self.projection = projection
        self.quarantine = quarantine
        self.source = source
        self.connect = connect
        self.positions = positions
        self.stop = stop
        self.idle_wait_s = idle_wait_s
        self.members = [m.name for m in members_of(projection)]
        self.status = "starting"

    @property
    def name(self) -> str:
        return self.projection.name

    def run(self) -> None:
        conn = self.connect()
        try:
            with conn.transaction(), conn.cursor() as cur:
                lock_ddl(cur)
                self.positions.create(cur)
                self.projection.create(cur)
                if self.quarantine:
                    self.quarantine.create(cur)
            self.source.start(lambda: self._stored_positions(conn))
            self.status = "running"
            while not self.stop.is_set():
                batch = self.source.poll(self.idle_wait_s)
                if not batch.positions:
                    continue
                if not self._apply(conn, batch):
                    return
                self.source.acknowledge(batch)
        finally:
            self.source.close()
            conn.close()
            if self.status == "running":
                self.status = "stopped"

    def _stored_positions(self, conn: Any) -> dict[int, int]:
        with conn.transaction(), conn.cursor() as cur:
            return common_start(
                [self.positions.load(cur, consumer=name, source=self.source.name) for name in self.members]
            )

    def _apply(self, conn: Any, batch: Batch) -> bool:
        if batch.rejects and not self.quarantine:
            ref, reason, _ = batch.rejects[0]
            return self._halt(f"halted at {ref}: {reason}")
        try:
            self._commit(conn, batch)
            return True
        except Exception:
            log.exception("%s: batch failed; retrying it event by event to find the culprit", self.name)
        for event in batch.events:
            try:
                with conn.transaction(), conn.cursor() as cur:
                    self._apply_events(cur, [event])
            except Exception as e:
                with handling(event.event_id):
                    if not self.quarantine:
                        return self._halt(f"halted at lead {event.lead_id} version {event.version}: {e}")
                    log.error("%s: quarantined lead %s version %s: %s", self.name, event.lead_id, event.version, e)
                with conn.transaction(), conn.cursor() as cur:
                    self.quarantine.put(
                        cur,
                        projection=self.name,
                        ref=f"{event.lead_id}:{event.version}",
                        reason=str(e),
                        lead_id=event.lead_id,
                        version=event.version,
                        event_type=event.type,
                        payload=event.payload,
                    )
        self._commit(conn, Batch([], batch.positions, batch.rejects))
        return True

    def _apply_events(self, cur: Any, events: list[Envelope]) -> None:
        """Quarantined events keep their payload for diagnosis, so an erasure blanks those too.
        Each traced event gets an ``apply`` span in its trace, covering the batch it went in."""
        with applying(self.name, events):
            self.projection.apply(cur, events)
        erased = [e.lead_id for e in events if e.name == "personal_data_erased"]
        if erased and self.quarantine:
            self.quarantine.forget(cur, erased)

    def _halt(self, status: str) -> bool:
        self.status = status
        log.error("%s %s", self.name, status)
        return False

    def _commit(self, conn: Any, batch: Batch) -> None:
        with conn.transaction(), conn.cursor() as cur:
            self._apply_events(cur, batch.events)
            for ref, reason, raw in batch.rejects:
                assert self.quarantine is not None
                self.quarantine.put(cur, projection=self.name, ref=ref, reason=reason, payload=raw)
            for name in self.members:
                self.positions.save(cur, consumer=name, source=self.source.name, positions=batch.positions)
        if self.board is not None:
            for name in self.members:
                self.board.committed(name, batch.positions)
