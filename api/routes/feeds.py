"""Feeds and the notification inbox, read from the ``feeds`` projection."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from api.auth import Action as A
from api.auth import permission
from api.deps import PrincipalDep, QueriesDep, ServiceDep
from api.models import FeedItem, NotificationPublic

router = APIRouter(tags=["feeds"])
Limit = Annotated[int, Query(ge=1, le=500)]


@router.get("/leads/{lead_id:uuid}/feed", response_model=list[FeedItem], **permission(A.VIEW))
def lead_feed(
    lead_id: UUID, service: ServiceDep, queries: QueriesDep, principal: PrincipalDep, limit: Limit = 100
) -> list[FeedItem]:
    """Every key change of the lead, newest first: what, who, when."""
    principal.require_lead(A.VIEW, service.get_lead(lead_id))
    return [FeedItem.model_validate(r) for r in queries.lead_feed(lead_id, limit=limit)]


@router.get("/feed", response_model=list[FeedItem], **permission(A.VIEW))
def home_feed(queries: QueriesDep, principal: PrincipalDep, limit: Limit = 100) -> list[FeedItem]:
    """The caller's home feed: key changes on every lead they own or follow, newest first."""
    return [FeedItem.model_validate(r) for r in queries.home_feed(principal.user, limit=limit)]


@router.get("/notifications", response_model=list[NotificationPublic], **permission(A.VIEW))
def inbox(
    queries: QueriesDep, principal: PrincipalDep, unread: bool = False, limit: Limit = 100
) -> list[NotificationPublic]:
    """The caller's notifications (changes by others on leads they own or follow), newest first."""
    rows = queries.inbox(principal.user, unread_only=unread, limit=limit)
    return [NotificationPublic.model_validate(r) for r in rows]


@router.post(
    "/notifications/{notification_id}/read",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    **permission(A.VIEW),
)
def mark_read(notification_id: UUID, queries: QueriesDep, principal: PrincipalDep) -> Response:
    """Mark one of your notifications read (repeating it is harmless)."""
    queries.mark_read(principal.user, notification_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
