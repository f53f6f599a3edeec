"""The lead's status machine, in one place: which command each status allows, which status each
event leads to, and the named groups of statuses every other layer uses.

The aggregate's events, the read models and the reports all read this module, so "open",
"in progress" and "where does a reopened lead go" mean the same everywhere.
"""

from __future__ import annotations

from enum import StrEnum

from domain.errors import IllegalTransition
from domain.picklists import LeadStatus

S = LeadStatus


class LeadCommand(StrEnum):
    UPDATE_DETAILS = "update details of"
    ASSIGN = "assign"
    ROUTE = "route"
    CLAIM = "claim"
    ESCALATE = "escalate an overdue response on"
    CONTACT = "contact"
    LOG_ACTIVITY = "log an activity on"
    ADD_NOTE = "add a note to"
    ADD_ATTACHMENT = "attach a file to"
    FOLLOW = "follow"
    UNFOLLOW = "unfollow"
    RECORD_SIGNAL = "record an engagement signal on"
    SCORE = "score"
    ADJUST_SCORE = "adjust the score of"
    UPDATE_BANT = "update BANT of"
    QUALIFY = "qualify"
    NURTURE = "nurture"
    DISQUALIFY = "disqualify"
    REOPEN = "reopen"
    MARK_DUPLICATE = "mark as duplicate"
    DISMISS_DUPLICATE = "declare not a duplicate"
    MERGE = "merge"
    ABSORB = "merge duplicates into"
    CONVERT = "convert"
    RAISE_AGING_ALERT = "raise an aging alert on"
    ARCHIVE = "archive"
    UNARCHIVE = "unarchive"
    DELETE = "delete"
    SCHEDULE_TASK = "schedule a task on"
    FIRE_REMINDER = "fire a reminder on"
    COMPLETE_TASK = "complete a task on"


TERMINAL = frozenset({S.CONVERTED, S.MERGED})
"""Where a lead's life ends: it is read-only from then on."""

OPEN = frozenset(S) - TERMINAL
"""Every status but the terminal ones: the lead may still change (Unqualified included, since
it can be reopened)."""

IN_PROGRESS = frozenset({S.NEW, S.CONTACTED, S.QUALIFIED, S.NURTURE})
"""Statuses in which a lead is being worked: it can be contacted, it ages, and it is alerted
on when it stays too long."""

ALLOWED: dict[LeadCommand, frozenset[LeadStatus]] = {
    **dict.fromkeys(LeadCommand, OPEN),
    LeadCommand.CONTACT: IN_PROGRESS,
    LeadCommand.QUALIFY: frozenset({S.CONTACTED, S.NURTURE}),
    LeadCommand.NURTURE: frozenset({S.NEW, S.CONTACTED, S.QUALIFIED}),
    LeadCommand.DISQUALIFY: OPEN,
    LeadCommand.REOPEN: frozenset({S.NURTURE, S.UNQUALIFIED}),
    LeadCommand.CONVERT: frozenset({S.QUALIFIED}),
    LeadCommand.RAISE_AGING_ALERT: IN_PROGRESS,
    LeadCommand.ESCALATE: IN_PROGRESS,
}

MOVES_TO: dict[str, LeadStatus] = {
    "captured": S.NEW,
    "qualified": S.QUALIFIED,
    "nurtured": S.NURTURE,
    "disqualified": S.UNQUALIFIED,
    "merged_into": S.MERGED,
    "merged_into_contact": S.MERGED,
    "converted": S.CONVERTED,
}
"""Events (by published type name) that move a lead to a fixed status."""


def check_allowed(command: LeadCommand, status: LeadStatus) -> None:
    """Raise :class:`IllegalTransition` naming the command and the status when refused."""
    if status not in ALLOWED[command]:
        raise IllegalTransition(command=command.value, status=status.value)


def status_after(event: str, current: str | None, *, reopened_to: str | None = None) -> LeadStatus | None:
    """The status once an event (by type name) applied to a lead in ``current`` (None before
    its capture): a first contact moves New to Contacted, a reopen goes where the event says,
    most events change nothing."""
    now = S(current) if current is not None else None
    if event == "contacted":
        return S.CONTACTED if now is S.NEW else now
    if event == "reopened" and reopened_to is not None:
        return S(reopened_to)
    return MOVES_TO.get(event, now)
