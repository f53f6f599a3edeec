"""Writes staged by a thread for its next save and made in the save's own transaction (the
recorder calls ``write_staged``), so a reservation and the events that rely on it commit
together or not at all: identity claims, workloads."""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

T = TypeVar("T")


class StagedWrites(Generic[T]):
    def __init__(self) -> None:
        self.local = threading.local()

    def staged(self) -> list[T]:
        if not hasattr(self.local, "staged"):
            self.local.staged = []
        staged: list[T] = self.local.staged
        return staged

    def before_save(self) -> None:
        """Just before a save (the PostgreSQL stores write inside it, from the recorder)."""

    def settle(self, *, committed: bool) -> None:
        """After a save: what was staged is written (or was not); either way it is done with."""
        self.staged().clear()
