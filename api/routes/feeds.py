"""Feeds and the notification inbox, read from the ``feeds`` projection."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from api.auth import Forbidden
from api.auth import Permission as P
from api.deps import EngineDep, PrincipalDep
from api.models import FeedItem, NotificationPublic
from domain.errors import NotFound
from infra.user_state import UserState
from projections.feeds import Feeds

router = APIRouter(tags=["feeds"])
Limit = Annotated[int, Query(ge=1, le=500)]


@router.get("/leads/{lead_id}/feed", response_model=list[FeedItem])
def lead_feed(lead_id: UUID, engine: EngineDep, principal: PrincipalDep, limit: Limit = 100) -> list[FeedItem]:
    """Every key change of the lead, newest first: what, who, when."""
    principal.require_lead(P.VIEW, lambda: engine.service.get_lead(lead_id))
    with engine.db.cursor() as cur:
        rows = Feeds(schema=engine.settings.read_schema).lead_items(cur, lead_id, limit=limit)
    return [FeedItem.model_validate(r) for r in rows]


@router.get("/feed", response_model=list[FeedItem])
def home_feed(engine: EngineDep, principal: PrincipalDep, limit: Limit = 100) -> list[FeedItem]:
    """The caller's home feed: key changes on every lead they own or follow, newest first."""
    principal.require(P.VIEW)
    with engine.db.cursor() as cur:
        rows = Feeds(schema=engine.settings.read_schema).home_items(cur, principal.user, limit=limit)
    return [FeedItem.model_validate(r) for r in rows]


@router.get("/notifications", response_model=list[NotificationPublic])
def inbox(
    engine: EngineDep, principal: PrincipalDep, unread: bool = False, limit: Limit = 100
) -> list[NotificationPublic]:
    """The caller's notifications (changes by others on leads they own or follow), newest first."""
    principal.require(P.VIEW)
    schema = engine.settings.read_schema
    with engine.db.cursor() as cur:
        rows = Feeds(schema=schema).inbox(
            cur, principal.user, reads_table=UserState(schema=schema).reads_table, unread_only=unread, limit=limit
        )
    return [NotificationPublic.model_validate(r) for r in rows]


@router.post("/notifications/{notification_id}/read", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def mark_read(notification_id: UUID, engine: EngineDep, principal: PrincipalDep) -> Response:
    """Mark one of your notifications read (repeating it is harmless)."""
    principal.require(P.VIEW)
    schema = engine.settings.read_schema
    with engine.db.cursor() as cur:
        recipient = Feeds(schema=schema).recipient_of(cur, notification_id)
        if recipient is None:
            raise NotFound("notification", notification_id)
        if recipient != principal.user:
            raise Forbidden(f"notification {notification_id} is not addressed to {principal.user}")
        UserState(schema=schema).mark_read(cur, user=principal.user, notification_id=notification_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
