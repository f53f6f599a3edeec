"""Keeps this process's :class:`~consumers.progress.ProgressBoard` current with the positions
that projections in OTHER processes commit, so a query with ``?after=`` in the API process
sleeps until the projection's commit instead of polling the read store.

Every save of a consumer's position NOTIFYs (``consumers.positions``, in the same transaction,
so the notification arrives only once the rows it speaks for are committed); this LISTENs on a
connection of its own. After (re)connecting it reads every stored position once, so nothing
committed while it was not listening is missed.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from psycopg import sql

from consumers.positions import Positions
from consumers.progress import ProgressBoard
from infra.postgres import Database

log = logging.getLogger(__name__)

WAIT_S = 0.5
"""How long one wait for a notification lasts (``stop`` is rechecked that often)."""
RECONNECT_S = 1.0


class PositionFeed:
    name = "position-feed"

    def __init__(self, *, db: Database, positions: Positions, board: ProgressBoard, stop: threading.Event) -> None:
        self.db = db
        self.positions = positions
        self.board = board
        self.stop = stop
        self.status = "starting"

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self._follow()
            except Exception as e:
                self.status = f"reconnecting: {e}"
                log.warning("position feed lost its connection (%s); reconnecting", e)
                self.stop.wait(RECONNECT_S)
        self.status = "stopped"

    def _follow(self) -> None:
        with self.db.connect() as conn:
            with conn.cursor() as cur:
                cur.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.positions.channel)))
                for consumer, _source, partition, position in self.positions.all(cur):
                    self.board.committed(consumer, {partition: position})
            self.status = "running"
            while not self.stop.is_set():
                for notify in conn.notifies(timeout=WAIT_S):
                    self._apply(notify.payload)

    def _apply(self, payload: str) -> None:
        try:
            change: dict[str, Any] = json.loads(payload)
            positions = {int(p): int(pos) for p, pos in change["positions"].items()}
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("position feed ignored a malformed notification: %.200s", payload)
            return
        self.board.committed(str(change["consumer"]), positions)
