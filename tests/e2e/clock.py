"""A fixed time for the API's views that depend on it, so a test of "due later today" holds at
any hour the suite runs (it used to skip itself near midnight UTC)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from fastapi.testclient import TestClient


def at_noon(api: TestClient) -> datetime:
    """Set the API's clock to noon (UTC) today and return that time."""
    noon = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    app = api.app
    app.state.backend = replace(app.state.backend, clock=lambda: noon)
    return noon
