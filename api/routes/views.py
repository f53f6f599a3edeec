"""Saved list views, per user: a name for a set of `GET /leads` filters and its sort."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from api.auth import Action as A
from api.auth import permission
from api.deps import PrincipalDep, QueriesDep
from api.models import SavedView
from api.query_models import SavedViewQuery, SystemView
from domain.errors import InvalidCommand, NotFound

router = APIRouter(prefix="/views", tags=["views"])


@router.get("", response_model=list[SavedView], **permission(A.VIEW))
def list_views(queries: QueriesDep, principal: PrincipalDep) -> list[SavedView]:
    """Your saved views, then the system views everyone has (use them as `GET /leads?view=`)."""
    saved = queries.saved_views(principal.user)
    system = [SavedView(name=v.value, filters={"view": v.value}) for v in SystemView]
    return [SavedView(name=name, filters=filters) for name, filters in saved] + system


@router.put("/{name}", response_model=SavedView, **permission(A.VIEW))
def save_view(name: str, body: SavedViewQuery, queries: QueriesDep, principal: PrincipalDep) -> SavedView:
    """Save (or replace) a view: filters, and optionally `sort` and `order`; use it as
    `GET /leads?saved=<name>` (a `sort` or `order` in that request wins). Unknown keys are a 422
    naming each."""
    view = SavedView(name=name, filters=body.model_dump(mode="json", exclude_none=True))
    if name in {v.value for v in SystemView}:
        raise InvalidCommand(f"{name} is a system view; pick another name", field="name")
    queries.save_view(principal.user, name, view.filters)
    return view


@router.delete("/{name}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response, **permission(A.VIEW))
def delete_view(name: str, queries: QueriesDep, principal: PrincipalDep) -> Response:
    if not queries.delete_view(principal.user, name):
        raise NotFound("saved view", repr(name))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
