"""Mass actions: one action applied to many leads, each lead on its own. Each lead gets its own
command (the action's key plus the lead's id, so repeating the action with the same key does
nothing twice), its own permission check on the lead as it is now (the write side, never a
lagging list), and its own result: done, or refused with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from pydantic import Field, model_validator

from domain.access import Action
from domain.errors import DomainError, InvalidCommand, NotFound
from domain.lead import Lead
from domain.limits import LongText, Name
from domain.picklists import DisqualifyReason, LeadStatus, Picklist
from domain.service import LeadService
from domain.values import EventMeta, Frozen, Tags


class BulkAction(Picklist):
    ASSIGN = "assign"
    ROUTE = "route"
    STATUS = "status"
    ADD_TAGS = "add_tags"
    REMOVE_TAGS = "remove_tags"
    FOLLOW = "follow"
    UPDATE = "update"
    ARCHIVE = "archive"
    DELETE = "delete"


NEEDS: dict[BulkAction, Action] = {
    BulkAction.ASSIGN: Action.EDIT,
    BulkAction.ROUTE: Action.EDIT,
    BulkAction.STATUS: Action.EDIT,
    BulkAction.ADD_TAGS: Action.EDIT,
    BulkAction.REMOVE_TAGS: Action.EDIT,
    BulkAction.FOLLOW: Action.VIEW,
    BulkAction.UPDATE: Action.EDIT,
    BulkAction.ARCHIVE: Action.ARCHIVE,
    BulkAction.DELETE: Action.DELETE,
}
"""What the caller must be allowed to do to each lead (disqualifying: archive)."""

STATUSES = (LeadStatus.QUALIFIED, LeadStatus.NURTURE, LeadStatus.UNQUALIFIED, LeadStatus.NEW)
"""The statuses a mass change may set (``new``: reopen)."""


class BulkRequest(Frozen):
    """The action and what it needs: ``owner`` (assign), ``status`` with ``reason`` (status:
    a disqualify reason code for ``unqualified``), ``tags``, ``changes`` (update: lead fields),
    ``reason`` (archive, delete)."""

    action: BulkAction
    owner: Name | None = None
    status: LeadStatus | None = None
    reason: LongText | None = None
    tags: Tags = ()
    changes: dict[str, Any] = Field(default_factory=dict, max_length=50)

    @model_validator(mode="after")
    def _complete(self) -> BulkRequest:
        missing = {
            BulkAction.ASSIGN: "owner" if not self.owner else None,
            BulkAction.STATUS: "status" if self.status is None else None,
            BulkAction.ADD_TAGS: "tags" if not self.tags else None,
            BulkAction.REMOVE_TAGS: "tags" if not self.tags else None,
            BulkAction.UPDATE: "changes" if not self.changes else None,
            BulkAction.DELETE: "reason" if not (self.reason or "").strip() else None,
        }.get(self.action)
        if missing:
            raise ValueError(f"{self.action} needs {missing}")
        if self.action is BulkAction.STATUS and self.status not in STATUSES:
            raise ValueError(f"status may be set to one of {', '.join(s.value for s in STATUSES)}")
        return self

    @property
    def needs(self) -> Action:
        if self.action is BulkAction.STATUS and self.status is LeadStatus.UNQUALIFIED:
            return Action.ARCHIVE
        return NEEDS[self.action]


Check = Callable[[Action, Lead], None]


def apply_one(
    service: LeadService, request: BulkRequest, lead_id: UUID, *, user: str, meta: EventMeta, check: Check
) -> None:
    """Apply the action to one lead, or raise the domain's reason it cannot be."""
    lead = service.get_lead(lead_id)
    check(request.needs, lead)
    a = request.action
    if a is BulkAction.ASSIGN:
        service.assign(lead_id=lead_id, owner=request.owner or "", meta=meta)
    elif a is BulkAction.ROUTE:
        (outcome,) = service.route(lead_ids=[lead_id], meta=meta.model_copy(update={"command_id": None}))
        if not outcome.done:
            raise InvalidCommand(outcome.reason or "could not be routed", field="lead_ids")
    elif a is BulkAction.STATUS:
        set_status(service, request, lead, meta)
    elif a in (BulkAction.ADD_TAGS, BulkAction.REMOVE_TAGS):
        tags = list(lead.details.tags)
        wanted = (
            [*tags, *(t for t in request.tags if t not in tags)]
            if a is BulkAction.ADD_TAGS
            else [t for t in tags if t not in request.tags]
        )
        service.update_details(lead_id=lead_id, changes={"tags": wanted}, meta=meta)
    elif a is BulkAction.FOLLOW:
        if user not in lead.followers:
            service.follow(lead_id=lead_id, user=user, meta=meta)
    elif a is BulkAction.UPDATE:
        service.update_details(lead_id=lead_id, changes=request.changes, meta=meta)
    elif a is BulkAction.ARCHIVE:
        service.archive(lead_id=lead_id, reason=request.reason, meta=meta)
    else:
        service.delete(lead_id=lead_id, reason=request.reason or "", meta=meta)


def set_status(service: LeadService, request: BulkRequest, lead: Lead, meta: EventMeta) -> None:
    """A status already held is left as it is (repeating a mass change does nothing)."""
    if lead.status is request.status:
        return
    if request.status is LeadStatus.QUALIFIED:
        service.qualify(lead_id=lead.id, meta=meta)
    elif request.status is LeadStatus.NURTURE:
        service.nurture(lead_id=lead.id, reason=request.reason, meta=meta)
    elif request.status is LeadStatus.UNQUALIFIED:
        code, _, text = (request.reason or "other").partition(":")
        try:
            reason = DisqualifyReason(code.strip())
        except ValueError:
            reason, text = DisqualifyReason.OTHER, request.reason or ""
        service.disqualify(lead_id=lead.id, reason=reason, text=text.strip() or None, meta=meta)
    else:
        service.reopen(lead_id=lead.id, meta=meta)


def outcome_of(
    service: LeadService, request: BulkRequest, lead_id: UUID, *, user: str, meta: EventMeta, check: Check
) -> dict[str, Any]:
    """``{"lead_id", "result": "done" | "refused", "reason"}`` for one lead."""
    one = meta.model_copy(update={"command_id": f"{meta.command_id}/{lead_id}" if meta.command_id else None})
    try:
        apply_one(service, request, lead_id, user=user, meta=one, check=check)
    except NotFound:
        return {"lead_id": str(lead_id), "result": "refused", "reason": "not found, or outside your scope"}
    except DomainError as e:
        return {"lead_id": str(lead_id), "result": "refused", "reason": f"{type(e).__name__}: {e}"}
    return {"lead_id": str(lead_id), "result": "done"}
