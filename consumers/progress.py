"""Positions committed by the projection runners of this process, with a wake-up for waiters.

A query with ``?after=`` used to poll the database every few milliseconds while it waited;
under load those polls were most of the API's work. When the projection runs in the same
process, the waiter now sleeps until the runner reports a commit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class ProgressBoard:
    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._positions: dict[str, dict[int, int]] = {}

    def committed(self, consumer: str, positions: dict[int, int]) -> None:
        """Called by a runner once the transaction holding ``positions`` has committed."""
        with self._changed:
            self._positions.setdefault(consumer, {}).update(positions)
            self._changed.notify_all()

    def wait(self, consumer: str, done: Callable[[dict[int, int]], bool], *, timeout_s: float) -> bool:
        """True once ``done`` holds for ``consumer``'s committed positions; False on timeout."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while not done(self._positions.get(consumer, {})):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True
