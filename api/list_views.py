"""The filters behind `GET /leads?saved=` (a user's saved view) and `?view=` (a system view)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from api.query_models import LeadFilters, SystemView
from domain.errors import InvalidCommand
from infra.settings import Settings
from infra.user_state import UserState
from projections.aging import Aging
from projections.lead_queries import LeadFilter, system_view


def saved_filter(cur: Any, schema: str, user: str, name: str) -> LeadFilter:
    views = dict(UserState(schema=schema).views(cur, user=user))
    if name not in views:
        raise InvalidCommand(f"you have no saved view {name!r}; saved: {', '.join(views) or 'none'}", field="saved")
    return LeadFilters.model_validate(views[name]).to_filter()


def view_filter(cur: Any, settings: Settings, user: str, view: SystemView) -> LeadFilter:
    """``aging`` lists the user's open leads over their status threshold, alerted or not."""
    now = datetime.now(UTC)
    aging: tuple[UUID, ...] = ()
    if view is SystemView.AGING:  # type: ignore[attr-defined]
        overdue = Aging(schema=settings.read_schema).overdue(
            cur, thresholds=settings.aging_thresholds, now=now, alerted_too=True
        )
        aging = tuple(r["lead_id"] for r in overdue if r["owner"] == user)
    return system_view(view.value, user=user, now=now, aging_ids=aging)
