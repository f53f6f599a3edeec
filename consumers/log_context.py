"""The CloudEvents id of the message or event a worker is handling, for its log lines: set
around the handling of each one, read by the log formatter (``infra.logs``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

CLOUDEVENT_ID: ContextVar[str | None] = ContextVar("cloudevent_id", default=None)


@contextmanager
def handling(ce_id: str | None) -> Iterator[None]:
    """Log lines written inside carry ``ce_id``."""
    token = CLOUDEVENT_ID.set(ce_id)
    try:
        yield
    finally:
        CLOUDEVENT_ID.reset(token)
