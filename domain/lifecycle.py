"""The lead's transition table: which command is allowed in which status, in one place."""

from __future__ import annotations

from enum import StrEnum

from domain.errors import IllegalTransition
from domain.values import LeadStatus

S = LeadStatus


class LeadCommand(StrEnum):
    UPDATE_DETAILS = "update details of"
    ASSIGN = "assign"
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
    MERGE = "merge"
    ABSORB = "merge duplicates into"
    CONVERT = "convert"
    RAISE_AGING_ALERT = "raise an aging alert on"


OPEN = frozenset({S.NEW, S.CONTACTED, S.QUALIFIED, S.NURTURE, S.UNQUALIFIED})
"""Every status but the terminal ones (Converted, Merged), where a lead is read-only."""

ALLOWED: dict[LeadCommand, frozenset[LeadStatus]] = {
    **dict.fromkeys(LeadCommand, OPEN),
    LeadCommand.CONTACT: frozenset({S.NEW, S.CONTACTED, S.QUALIFIED, S.NURTURE}),
    LeadCommand.QUALIFY: frozenset({S.CONTACTED, S.NURTURE}),
    LeadCommand.NURTURE: frozenset({S.NEW, S.CONTACTED, S.QUALIFIED}),
    LeadCommand.DISQUALIFY: frozenset({S.NEW, S.CONTACTED, S.QUALIFIED, S.NURTURE, S.UNQUALIFIED}),
    LeadCommand.REOPEN: frozenset({S.NURTURE, S.UNQUALIFIED}),
    LeadCommand.CONVERT: frozenset({S.QUALIFIED}),
    LeadCommand.RAISE_AGING_ALERT: frozenset({S.NEW, S.CONTACTED, S.QUALIFIED, S.NURTURE}),
}


def check_allowed(command: LeadCommand, status: LeadStatus) -> None:
    """Raise :class:`IllegalTransition` naming the command and the status when refused."""
    if status not in ALLOWED[command]:
        raise IllegalTransition(command=command.value, status=status.value)
