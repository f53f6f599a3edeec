"""Tasks on a lead (assignee, due time, reminder time), completing them, and each user's task
views: overdue, due today, open."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID, uuid4

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.auth import permission
from api.deps import BackendDep, CommandDep, PrincipalDep
from api.models import CommandAccepted
from api.routes.commands import accepted
from domain.access import Action as A
from domain.records import Task
from domain.values import NonBlankName, NonBlankShort

router = APIRouter(tags=["tasks"])


class TaskBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: NonBlankShort = Field(examples=["Send the proposal"])
    assignee: NonBlankName = Field(examples=["rep-1"])
    due_at: datetime = Field(examples=["2027-01-15T09:00:00Z"])
    remind_at: datetime | None = Field(default=None, description="When the assignee is reminded (at most due_at)")

    @field_validator("due_at", "remind_at", mode="before")
    @classmethod
    def written_as_a_time(cls, value: Any) -> Any:
        """A time must be written as one (pydantic would also read a number as Unix time)."""
        if value is not None and not isinstance(value, str):
            raise ValueError("must be an ISO 8601 date and time, e.g. 2027-01-15T09:00:00Z")
        return value


class TaskPage(BaseModel):
    items: list[dict[str, Any]]


def utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def new_task(body: TaskBody, *, created_by: str) -> Task:
    """The task a request asks for, on a lead or any other record, with a fresh id."""
    return Task(
        task_id=uuid4(),
        subject=body.subject,
        assignee=body.assignee,
        due_at=utc(body.due_at),
        remind_at=utc(body.remind_at) if body.remind_at else None,
        created_by=created_by,
    )


@router.post("/leads/{lead_id}/tasks", response_model=CommandAccepted, status_code=201, **permission(A.EDIT))
def schedule_task(lead_id: UUID, body: TaskBody, cmd: CommandDep) -> CommandAccepted:
    """A task on the lead; its id is in `created.task_id`. The reminder fires once, at `remind_at`."""
    task = new_task(body, created_by=cmd.principal.user)
    result = cmd.on_lead(
        lead_id, A.EDIT, lambda s, meta, v: s.schedule_task(lead_id=lead_id, task=task, meta=meta, expected_version=v)
    )
    done = accepted(result)
    return done.model_copy(update={"created": {**done.created, "task_id": task.task_id}})


@router.post("/leads/{lead_id}/tasks/{task_id}/complete", response_model=CommandAccepted, **permission(A.EDIT))
def complete_task(lead_id: UUID, task_id: UUID, cmd: CommandDep) -> CommandAccepted:
    return accepted(
        cmd.on_lead(
            lead_id,
            A.EDIT,
            lambda s, meta, v: s.complete_task(lead_id=lead_id, task_id=task_id, meta=meta, expected_version=v),
        )
    )


@router.get("/tasks", response_model=TaskPage, **permission(A.VIEW))
def my_tasks(
    backend: BackendDep,
    principal: PrincipalDep,
    view: Annotated[Literal["overdue", "due_today", "open"], Query(description="Which of your tasks")] = "open",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> TaskPage:
    """The caller's own tasks not done: overdue, due today (UTC) or all open, earliest first."""
    rows = backend.queries.tasks_of(principal.user, view=view, now=backend.clock(), limit=limit)
    return TaskPage(items=rows)
