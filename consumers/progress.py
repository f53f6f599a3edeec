"""Positions committed by the projection runners of this process, with a wake-up for waiters.

A query with ``?after=`` used to poll the database every few milliseconds while it waited;
under load those polls were most of the API's work. When the projection runs in the same
process, the waiter now sleeps until the runner reports a commit: a thread on a condition, or
an asyncio task on a future the runner resolves, so an HTTP wait parks no worker thread.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

Done = Callable[[dict[int, int]], bool]


class ProgressBoard:
    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._positions: dict[str, dict[int, int]] = {}
        self._async: list[tuple[str, Done, asyncio.AbstractEventLoop, asyncio.Future[bool]]] = []

    def committed(self, consumer: str, positions: dict[int, int]) -> None:
        """Called by a runner once the transaction holding ``positions`` has committed."""
        with self._changed:
            now = self._positions.setdefault(consumer, {})
            now.update(positions)
            self._changed.notify_all()
            ready = [w for w in self._async if w[0] == consumer and w[1](now)]
            self._async = [w for w in self._async if w not in ready]
        for _, _, loop, future in ready:
            loop.call_soon_threadsafe(_resolve, future)

    def positions(self, consumer: str) -> dict[int, int]:
        """A copy of ``consumer``'s committed positions as this board knows them."""
        with self._changed:
            return dict(self._positions.get(consumer, {}))

    async def until(self, consumer: str, done: Done, *, timeout_s: float) -> bool:
        """Like :meth:`wait`, without a thread: True once ``done`` holds; False on timeout."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        waiter = (consumer, done, loop, future)
        with self._changed:
            if done(self._positions.get(consumer, {})):
                return True
            self._async.append(waiter)
        try:
            return await asyncio.wait_for(future, timeout_s)
        except TimeoutError:
            return False
        finally:
            with self._changed:
                if waiter in self._async:
                    self._async.remove(waiter)

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


def _resolve(future: asyncio.Future[bool]) -> None:
    if not future.done():
        future.set_result(True)
