"""Read-your-writes: has a projection applied everything up to a log position yet?

A command answers with the log position of its last event; a query that passes it as
``?after=`` waits (bounded) until the projection has got there. In embedded mode the
projection's position is a log position. In kafka mode it is a Kafka offset per partition,
so the relay's marks translate the log position into the offsets that cover it.
"""

from __future__ import annotations

import threading
import time

from consumers.positions import RelayMarks
from consumers.relay import RELAY
from infra.runtime import Engine
from infra.settings import Mode

POLL_S = (0.005, 0.05)
"""Database polling, from the first to the longest pause, when the projection runs elsewhere."""


def reached(engine: Engine, projection: str, position: int) -> bool:
    with engine.db.cursor() as cur:
        if engine.settings.mode is Mode.EMBEDDED:
            return engine.positions.load(cur, consumer=projection, source="log").get(0, 0) >= position
        if engine.positions.load(cur, consumer=RELAY, source="log").get(0, 0) < position:
            return False
        needed = RelayMarks(schema=engine.settings.read_schema).offsets_covering(cur, position)
        applied = engine.positions.load(cur, consumer=projection, source=engine.settings.events_topic)
    return all(applied.get(partition, -1) >= offset for partition, offset in needed.items())


def wait_until_projected(engine: Engine, projection: str, position: int, *, timeout_s: float) -> bool:
    """True once ``projection`` covers ``position``; False if ``timeout_s`` passed first.
    Embedded, with the projection running in this process, the wait costs no queries at all."""
    if reached(engine, projection, position):
        return True
    if engine.settings.mode is Mode.EMBEDDED and engine.runs(projection):
        return engine.board.wait(projection, lambda p: p.get(0, 0) >= position, timeout_s=timeout_s)
    deadline = time.monotonic() + timeout_s
    pause, pauses = threading.Event(), POLL_S[0]
    while not reached(engine, projection, position):
        if time.monotonic() >= deadline:
            return False
        pause.wait(pauses)
        pauses = min(POLL_S[1], pauses * 2)
    return True
