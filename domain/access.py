"""Who may do what to which leads: one table of role x action x scope, read by every entrance,
query, report, export and history read.

A role either has an action or not (no: 403). When it has it, the scope says on which leads;
a lead outside the caller's scope answers as if it did not exist (404), so no one learns that a
lead they may not see exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING
from uuid import UUID

from domain.errors import DomainError, NotFound
from domain.lead_state import LeadState

if TYPE_CHECKING:
    from domain.lead import Lead


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    REP = "rep"
    AUDITOR = "auditor"
    INTEGRATION = "integration"


class Action(StrEnum):
    VIEW = "view"
    """Read a lead: its document, feed, files; lists and views."""
    CREATE = "create"
    """Capture leads."""
    EDIT = "edit"
    """Change a lead: details, work on it (activities, notes, files, BANT), its status, owner, followers."""
    SIGNAL = "signal"
    """Record engagement signals on a lead."""
    ARCHIVE = "archive"
    """Take leads out of play: disqualify, merge away, transfer in bulk."""
    EXPORT = "export"
    """Reports and the audit export."""
    REPLAY = "replay"
    """A lead's history and the lead as it was at a moment or version."""
    ERASE = "erase"
    """Erase a lead's personal data on request."""
    DELETE = "delete"
    """Soft-delete a lead (its history stays)."""
    ADMINISTER = "administer"
    """Manage the directory of users and teams, and the assignment rules."""


class Scope(StrEnum):
    ALL = "all"
    """Every lead."""
    TEAM = "team"
    """Leads owned, created or followed by the user or anyone of their team, and unassigned ones."""
    OWN = "own"
    """Leads the user owns, follows or created."""
    SENT = "sent"
    """Leads the user created (a service sees what it sent)."""


A, S = Action, Scope
PERMISSIONS: dict[Role, dict[Action, Scope]] = {
    Role.ADMIN: dict.fromkeys(Action, S.ALL),
    Role.MANAGER: {
        A.VIEW: S.TEAM,
        A.CREATE: S.ALL,
        A.EDIT: S.TEAM,
        A.SIGNAL: S.TEAM,
        A.ARCHIVE: S.TEAM,
        A.EXPORT: S.TEAM,
        A.REPLAY: S.TEAM,
    },
    Role.REP: {A.VIEW: S.OWN, A.CREATE: S.ALL, A.EDIT: S.OWN, A.SIGNAL: S.OWN},
    Role.AUDITOR: {A.VIEW: S.ALL, A.EXPORT: S.ALL, A.REPLAY: S.ALL},
    Role.INTEGRATION: {A.VIEW: S.SENT, A.CREATE: S.ALL, A.EDIT: S.SENT, A.SIGNAL: S.ALL},
}
"""The one table: what each role may do, and on which leads. Everything else derives from it."""


class Forbidden(DomainError):
    """The caller's role does not allow the action at all."""


@dataclass(frozen=True)
class LeadScope:
    """Which leads a scope covers, for queries: those owned, created or followed by one of
    ``users``, plus unassigned ones if ``unassigned``; only those created by them if
    ``created_only``."""

    users: frozenset[str]
    unassigned: bool = False
    created_only: bool = False

    def covers(self, lead: LeadState) -> bool:
        if self.created_only:
            return lead.captured_by in self.users
        return (
            (lead.owner is None and self.unassigned)
            or lead.owner in self.users
            or lead.captured_by in self.users
            or bool(self.users & lead.followers)
        )


@dataclass(frozen=True)
class Principal:
    """The caller: a user, their role, for managers the users of the teams they manage, and
    the queues (teams' queues) they work: those of their teams and of the teams they manage."""

    user: str
    role: Role
    team: frozenset[str] = field(default_factory=frozenset)
    queues: frozenset[str] = field(default_factory=frozenset)

    def may(self, action: Action) -> bool:
        return action in PERMISSIONS[self.role]

    def require(self, action: Action) -> None:
        if not self.may(action):
            raise Forbidden(f"role {self.role} may not {action}")

    def scope(self, action: Action) -> LeadScope | None:
        """The leads the caller may ``action``; None when that is every lead."""
        self.require(action)
        scope = PERMISSIONS[self.role][action]
        if scope is S.ALL:
            return None
        if scope is S.TEAM:
            return LeadScope(frozenset({self.user} | self.team), unassigned=True)
        return LeadScope(frozenset({self.user}), created_only=scope is S.SENT)

    def require_lead(self, action: Action, lead: Lead) -> None:
        """403 if the role may not ``action`` at all; 404 if this lead is outside its scope."""
        scope = self.scope(action)
        if scope is not None and not scope.covers(lead):
            raise NotFound("lead", lead.id)

    def require_record(self, action: Action, kind: str, record_id: UUID, users: set[str]) -> None:
        """An account, contact or opportunity: in scope when one of the scope's users acted on
        it (converted, merged, changed it); outside it, it answers as if it did not exist."""
        scope = self.scope(action)
        if scope is not None and not scope.users & users:
            raise NotFound(kind, record_id)

    def require_queue(self, queue: str) -> None:
        """A queue is seen by the members and managers of its team, and by whoever sees every lead."""
        if self.scope(Action.VIEW) is not None and queue not in self.queues:
            raise NotFound("queue", queue)

    def require_claim(self, lead: Lead) -> None:
        """A queued lead is claimed by a member (or manager) of its queue's team, or by whoever
        may edit it anyway; to anyone else it does not exist."""
        scope = self.scope(Action.EDIT)
        if scope is not None and lead.queue not in self.queues and not scope.covers(lead):
            raise NotFound("lead", lead.id)
