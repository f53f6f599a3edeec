"""Values a score carries in events and read models: the grade, the cause of a move, one
criterion's contribution, the temperature bands and the funnel stage.

Kept apart from the scoring model (``domain.scoring``) so that the lead's state and events can
use them without importing the model's conditions.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from domain.lifecycle import TERMINAL
from domain.picklists import LeadStatus, Picklist, Temperature
from domain.records import ScoreBreakdown
from domain.values import Frozen


class Grade(Picklist):
    """Fit to the ideal customer profile, kept apart from the score (interest): the share of
    the demographic and firmographic points the model can give that the lead earns."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"
    F = "F"

    @classmethod
    def _missing_(cls, value: object) -> Grade | None:
        """Grades are letters as people write them: ``a`` reads ``A``."""
        return next((g for g in cls if isinstance(value, str) and g.value == value.strip().upper()), None)

    @classmethod
    def of(cls, fit: int, most: int) -> Grade | None:
        """A from 80 %, B from 60 %, C from 40 %, D from 20 %, F below; None when the model
        gives no fit points at all."""
        if most <= 0:
            return None
        share = fit * 100 // most
        for grade, floor in ((cls.A, 80), (cls.B, 60), (cls.C, 40), (cls.D, 20)):
            if share >= floor:
                return grade
        return cls.F


class ScoreCause(Picklist):
    """Why a score moved: shown in the lead's history."""

    DETAILS = "details"
    """The lead was captured or its fields changed."""
    SIGNAL = "signal"
    """An engagement signal arrived."""
    DECAY = "decay"
    """Behavioural points faded with time."""
    MODEL = "model"
    """A new scoring model was published."""
    MANUAL = "manual"
    """Someone adjusted it by hand."""


class Contribution(Frozen):
    """What one criterion gave, before its category's cap."""

    criterion: str
    category: str
    points: int = Field(ge=-10_000, le=10_000)


@dataclass(frozen=True)
class ScoreResult:
    """A lead's score under a model: its breakdown, grade and contributions."""

    breakdown: ScoreBreakdown
    grade: Grade | None
    contributions: tuple[Contribution, ...]

    @property
    def total(self) -> int:
        return self.breakdown.total


class Bands(Frozen):
    """0..``cold_max`` cold, up to ``warm_max`` warm, above it hot."""

    cold_max: int = Field(default=30, strict=True, ge=0, le=100)
    warm_max: int = Field(default=69, strict=True, ge=0, le=100)

    def temperature(self, score: int) -> Temperature:
        if score <= self.cold_max:
            return Temperature.COLD
        if score <= self.warm_max:
            return Temperature.WARM
        return Temperature.HOT


DEFAULT_MQL_THRESHOLD = 50


class Stage(Picklist):
    """Where a lead is in the funnel, derived from its status and score."""

    SUBSCRIBER = "subscriber"
    """New, and nothing known about it scores: no fit, no engagement."""
    LEAD = "lead"
    MQL = "mql"
    """Marketing qualified: its score reached the model's MQL threshold."""
    SQL = "sql"
    """Sales qualified: a rep qualified it."""
    OPPORTUNITY = "opportunity"
    """Converted into an opportunity."""


def stage_of(status: str, score: int, *, mql_threshold: int) -> Stage | None:
    """None for a merged lead (its master carries on); otherwise by status first, then score."""
    current = LeadStatus(status)
    if current is LeadStatus.CONVERTED:
        return Stage.OPPORTUNITY
    if current in TERMINAL:
        return None
    if current is LeadStatus.QUALIFIED:
        return Stage.SQL
    if score >= mql_threshold:
        return Stage.MQL
    if score == 0 and current is LeadStatus.NEW:
        return Stage.SUBSCRIBER
    return Stage.LEAD
