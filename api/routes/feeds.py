"""Feeds and the notification inbox, read from the ``feeds`` projection."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request, Response, status

from api.auth import Action as A
from api.auth import permission
from api.deps import PrincipalDep, QueriesDep, ServiceDep
from api.models import FeedItem, NotificationPublic
from api.paging import LINKED, Cursor, Limit, linked

router = APIRouter(tags=["feeds"])


@router.get("/leads/{lead_id:uuid}/feed", response_model=list[FeedItem], responses=LINKED, **permission(A.VIEW))
def lead_feed(
    lead_id: UUID,
    service: ServiceDep,
    queries: QueriesDep,
    principal: PrincipalDep,
    request: Request,
    response: Response,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> list[FeedItem]:
    """Every key change of the lead, newest first: what, who, when. Paged by `Link: rel="next"`."""
    principal.require_lead(A.VIEW, service.get_lead(lead_id))
    page = queries.lead_feed(lead_id, limit=limit, cursor=cursor)
    return [FeedItem.model_validate(r) for r in linked(page, request, response)]


@router.get("/feed", response_model=list[FeedItem], responses=LINKED, **permission(A.VIEW))
def home_feed(
    queries: QueriesDep,
    principal: PrincipalDep,
    request: Request,
    response: Response,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> list[FeedItem]:
    """The caller's home feed: key changes on every lead they own or follow, newest first.
    Paged by `Link: rel="next"`."""
    page = queries.home_feed(principal.user, limit=limit, cursor=cursor)
    return [FeedItem.model_validate(r) for r in linked(page, request, response)]


@router.get("/notifications", response_model=list[NotificationPublic], responses=LINKED, **permission(A.VIEW))
def inbox(
    queries: QueriesDep,
    principal: PrincipalDep,
    request: Request,
    response: Response,
    unread: bool = False,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> list[NotificationPublic]:
    """The caller's notifications (changes by others on leads they own or follow), newest first.
    Paged by `Link: rel="next"`."""
    page = queries.inbox(principal.user, unread_only=unread, limit=limit, cursor=cursor)
    return [NotificationPublic.model_validate(r) for r in linked(page, request, response)]


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
