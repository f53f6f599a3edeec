"""The daily work on an account or an opportunity, as on a lead: tasks (assignee, due time,
reminder), completing them, followers, and the record's feed. Scope: whoever acted on or follows
the record (``Principal.require_record``, read from the record itself, not a read model)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Request, Response

from api.auth import permission
from api.command_models import FollowBody
from api.deps import CommandDep, PrincipalDep, QueriesDep, ServiceDep
from api.models import CommandAccepted, FeedItem
from api.paging import LINKED, Cursor, Limit, linked
from api.routes.commands import accepted
from api.routes.tasks import TaskBody, new_task
from domain.access import Action as A
from domain.service import CommandResult
from domain.values import NonBlankName

router = APIRouter(tags=["customers"])
RECORDS = {"accounts": "account", "opportunities": "opportunity"}


def _on_record(cmd: CommandDep, kind: str, record_id: UUID, call: Callable[[], CommandResult]) -> CommandAccepted:
    """Check the caller may change the record (from its own events), then run the command."""
    cmd.principal.require_record(A.EDIT, kind, record_id, cmd.service.customer_users(kind, record_id))
    return accepted(call())


def _routes(plural: str, kind: str) -> None:
    """The same five routes for each kind of record, each with its own operation id."""

    def schedule_task(record_id: UUID, body: TaskBody, cmd: CommandDep) -> CommandAccepted:
        task = new_task(body, created_by=cmd.principal.user)
        done = _on_record(
            cmd,
            kind,
            record_id,
            lambda: cmd.service.schedule_record_task(
                kind=kind, record_id=record_id, task=task, meta=cmd.meta, expected_version=cmd.expected_version
            ),
        )
        return done.model_copy(update={"created": {**done.created, "task_id": task.task_id}})

    def complete_task(record_id: UUID, task_id: UUID, cmd: CommandDep) -> CommandAccepted:
        return _on_record(
            cmd,
            kind,
            record_id,
            lambda: cmd.service.complete_record_task(
                kind=kind, record_id=record_id, task_id=task_id, meta=cmd.meta, expected_version=cmd.expected_version
            ),
        )

    def follow(record_id: UUID, body: FollowBody, cmd: CommandDep) -> CommandAccepted:
        user = body.user or cmd.principal.user
        return _on_record(
            cmd,
            kind,
            record_id,
            lambda: cmd.service.follow_record(
                kind=kind, record_id=record_id, user=user, meta=cmd.meta, expected_version=cmd.expected_version
            ),
        )

    def unfollow(record_id: UUID, user: Annotated[NonBlankName, Path()], cmd: CommandDep) -> CommandAccepted:
        return _on_record(
            cmd,
            kind,
            record_id,
            lambda: cmd.service.unfollow_record(
                kind=kind, record_id=record_id, user=user, meta=cmd.meta, expected_version=cmd.expected_version
            ),
        )

    def feed(
        record_id: UUID,
        service: ServiceDep,
        queries: QueriesDep,
        principal: PrincipalDep,
        request: Request,
        response: Response,
        limit: Limit = 100,
        cursor: Cursor = None,
    ) -> list[FeedItem]:
        principal.require_record(A.VIEW, kind, record_id, service.customer_users(kind, record_id))
        page = queries.lead_feed(record_id, limit=limit, cursor=cursor)
        return [FeedItem.model_validate(r) for r in linked(page, request, response)]

    base = f"/{plural}/{{record_id}}"
    edit: dict[str, Any] = {"response_model": CommandAccepted, **permission(A.EDIT)}
    router.add_api_route(
        f"{base}/tasks",
        schedule_task,
        methods=["POST"],
        status_code=201,
        name=f"schedule_{kind}_task",
        description=f"A task on the {kind}; its id is in `created.task_id`. The reminder fires once, at `remind_at`.",
        **edit,
    )
    router.add_api_route(
        f"{base}/tasks/{{task_id}}/complete", complete_task, methods=["POST"], name=f"complete_{kind}_task", **edit
    )
    router.add_api_route(
        f"{base}/followers",
        follow,
        methods=["POST"],
        name=f"follow_{kind}",
        description=f"Follow the {kind} (the caller by default): its changes reach the home feed and notifications.",
        **edit,
    )
    router.add_api_route(f"{base}/followers/{{user}}", unfollow, methods=["DELETE"], name=f"unfollow_{kind}", **edit)
    router.add_api_route(
        f"{base}/feed",
        feed,
        methods=["GET"],
        response_model=list[FeedItem],
        responses=LINKED,
        name=f"{kind}_feed",
        description=f'Every key change of the {kind}, newest first. Paged by `Link: rel="next"`.',
        **permission(A.VIEW),
    )


for _plural, _kind in RECORDS.items():
    _routes(_plural, _kind)
