"""Read-your-writes: has a projection applied everything up to a log position yet?

A command answers with the log position of its last event; a query that passes it as
``?after=`` waits (bounded) until the projection has got there. In embedded mode the
projection's position is a log position. In kafka mode it is a Kafka offset per partition,
so the relay's marks translate the log position into the offsets that cover it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from functools import partial
from typing import Any

from consumers.positions import Positions, RelayMarks
from consumers.progress import ProgressBoard
from consumers.relay import RELAY

POLL_S = (0.005, 0.05)
"""Database polling, from the first to the longest pause, when the projection runs elsewhere."""


class ReadConsistency:
    def __init__(
        self,
        *,
        cursor: Callable[[], AbstractContextManager[Any]],
        positions: Positions,
        events_topic: str | None,
        board: ProgressBoard,
        runs_here: Callable[[str], bool],
        fed: bool = False,
    ) -> None:
        """``events_topic``: where projections read from in kafka mode (None: the log);
        ``runs_here``: whether ``board`` hears of that projection's commits (its runner works in
        this process, or a feed relays the commits of other processes); ``fed``: a feed
        relays every consumer's commits to ``board``, so waits sleep until one instead of polling."""
        self.cursor = cursor
        self.positions = positions
        self.marks = RelayMarks(schema=positions.schema)
        self.events_topic = events_topic
        self.board = board
        self.runs_here = runs_here
        self.fed = fed

    def reached(self, projection: str, position: int) -> bool:
        with self.cursor() as cur:
            if self.events_topic is None:
                return self.positions.load(cur, consumer=projection, source="log").get(0, 0) >= position
            if self.positions.load(cur, consumer=RELAY, source="log").get(0, 0) < position:
                return False
            needed = self.marks.offsets_covering(cur, position)
            applied = self.positions.load(cur, consumer=projection, source=self.events_topic)
        return all(applied.get(partition, -1) >= offset for partition, offset in needed.items())

    async def wait_async(self, projection: str, position: int, *, timeout_s: float) -> bool:
        """:meth:`wait` for an HTTP request: no thread is parked for the wait. The database is
        polled from a worker thread a moment at a time, unless the board hears of the projection's
        commits: embedded, the board's position answers alone; in kafka mode (offsets, which the
        relay's marks translate) each commit of the projection wakes one more check."""
        if self.events_topic is None and self.runs_here(projection):
            return await self.board.until(projection, lambda p: p.get(0, 0) >= position, timeout_s=timeout_s)
        deadline = time.monotonic() + timeout_s
        pause = POLL_S[0]
        while True:
            seen = self.board.positions(projection)
            if await asyncio.to_thread(self.reached, projection, position):
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if self.fed:
                await self.board.until(projection, partial(_moved, seen), timeout_s=min(left, POLL_S[1]))
                continue
            await asyncio.sleep(pause)
            pause = min(POLL_S[1], pause * 2)

    def wait(self, projection: str, position: int, *, timeout_s: float) -> bool:
        """True once ``projection`` covers ``position``; False if ``timeout_s`` passed first.
        Embedded, with the projection running in this process, the wait costs no queries at all."""
        if self.reached(projection, position):
            return True
        if self.events_topic is None and self.runs_here(projection):
            return self.board.wait(projection, lambda p: p.get(0, 0) >= position, timeout_s=timeout_s)
        deadline = time.monotonic() + timeout_s
        pause, pauses = threading.Event(), POLL_S[0]
        while not self.reached(projection, position):
            if time.monotonic() >= deadline:
                return False
            pause.wait(pauses)
            pauses = min(POLL_S[1], pauses * 2)
        return True


def _moved(seen: dict[int, int], now: dict[int, int]) -> bool:
    return now != seen
