"""Writes staged by a thread for its next save and made in the save's own transaction (the
recorder calls ``write_staged``), so a reservation and the events that rely on it commit
together or not at all: identity claims, workloads."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def _unchecked(row: Any) -> None:
    """A statement whose result needs no check."""


@dataclass(frozen=True)
class Rider:
    """One staged write as a statement with its parameters bound in (client side), so the
    recorder can send it in a round trip it makes anyway, and the check of the one result it
    gives (the row, or None for a statement that returns none), which raises if the save must
    not commit."""

    statement: str
    check: Callable[[Any], None] = _unchecked


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
