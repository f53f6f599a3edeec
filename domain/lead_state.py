"""What a lead is at a moment: the state its events build, and what is derived from it.

Kept apart from the aggregate's commands (``domain.lead``) so that the events, which change
this state, and the commands, which record events, do not import each other.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from domain.lifecycle import IN_PROGRESS, status_after
from domain.picklists import BantItem, LeadStatus, Temperature
from domain.records import Activity, Attachment, ConversionLinks, Note, ScoreBreakdown, Signal, Task
from domain.score_values import DEFAULT_MQL_THRESHOLD, Bands, Contribution, Grade, Stage, stage_of
from domain.values import LeadDetails


class LeadState:
    def __init__(self) -> None:
        self.details: LeadDetails
        self.status = LeadStatus.NEW
        self.status_reason: str | None = None
        self.captured_by: str | None = None
        self.owner: str | None = None
        self.owned_by_rule = False
        self.saved_holder: str | None = None
        """Who held it as last loaded or saved: a save stages the change (``domain.routes_leads``)."""
        self.assigned_by_rule: str | None = None
        self.queue: str | None = None
        self.respond_by: datetime | None = None
        self.overdue_since: datetime | None = None
        self.followers: set[str] = set()
        self.first_contacted_at: datetime | None = None
        self.activities: list[Activity] = []
        self.notes: list[Note] = []
        self.attachments: list[Attachment] = []
        self.signals: list[Signal] = []
        self.score_breakdown: ScoreBreakdown | None = None
        self.score_rule_version: str | None = None
        self.score_adjustment = 0
        self.grade: Grade | None = None
        self.score_model_version: int | None = None
        self.contributions: tuple[Contribution, ...] = ()
        self.bands = Bands()
        self.mql_threshold = DEFAULT_MQL_THRESHOLD
        self.likelihood: float | None = None
        self.likelihood_model_version: int | None = None
        self.likelihood_factors: tuple[Any, ...] = ()
        self.bant: dict[BantItem, str] = {}
        self.tasks: dict[UUID, Task] = {}
        self.reminded: set[UUID] = set()
        self.tasks_done: set[UUID] = set()
        self.duplicate_of: UUID | None = None
        self.duplicate_of_kind: str | None = None
        self.distinct_from: set[UUID] = set()
        """Leads and contacts a person said it does not duplicate."""
        self.merged_into: UUID | None = None
        self.absorbed: list[UUID] = []
        self.conversion: ConversionLinks | None = None
        self.erased = False
        self.archived = False
        self.deleted = False

    def move(self, event: str, *, reopened_to: str | None = None) -> None:
        """Follow the status machine (``domain.lifecycle``) for an event of this type name."""
        self.status = status_after(event, self.status, reopened_to=reopened_to) or LeadStatus.NEW

    @property
    def holder(self) -> str | None:
        """Who holds the lead in progress (counts toward their capacity): its owner while it is being worked."""
        return self.owner if self.status in IN_PROGRESS else None

    @property
    def rule_score(self) -> int:
        return self.score_breakdown.total if self.score_breakdown else 0

    @property
    def score(self) -> int:
        return max(0, min(100, self.rule_score + self.score_adjustment))

    @property
    def temperature(self) -> Temperature:
        """By the bands of the model that last scored it (the product brief's by default)."""
        return self.bands.temperature(self.score)

    @property
    def stage(self) -> Stage | None:
        return stage_of(self.status, self.score, mql_threshold=self.mql_threshold)

    @property
    def missing_bant(self) -> list[str]:
        return [item.value for item in BantItem if item not in self.bant]
