"""Where routing sends a lead, and why: what the aggregate records as ``Assigned`` or ``Queued``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.picklists import Strategy


@dataclass(frozen=True)
class Decision:
    strategy: Strategy
    reason: str
    owner: str | None = None
    queue: str | None = None
    team: str | None = None
    rule_id: str | None = None
    revision: int | None = None
    respond_by: datetime | None = None
