"""The Lead's scoring events: signals, scores, reclassification, likelihood and manual
adjustments. Part of the contract in ``domain.lead_events`` (see its rules); each keeps the
stored topic it was first recorded under there (``TOPIC``)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from domain.base import Aggregate
from domain.lead_state import LeadState as Lead
from domain.likelihood import Factor
from domain.limits import LongText
from domain.picklists import Temperature
from domain.records import (
    ScoreBreakdown,
    Signal,
)
from domain.score_values import Bands, Contribution, Grade, ScoreCause, Stage
from domain.values import ERASED


class SignalRecorded(Aggregate.Event):
    TOPIC: ClassVar[str] = "domain.lead_events:SignalRecorded"

    personal_data: ClassVar[dict[str, Any]] = {"signal.detail": None}

    signal: Signal

    def apply(self, lead: Lead) -> None:
        lead.signals.append(self.signal)


class Scored(Aggregate.Event):
    """v2 explains the score: the grade (fit), the scoring model's version, each criterion's
    contribution, the cause of the move, and the model's bands and MQL threshold (what the
    score means). A v1 score came from outside, under rules named by ``rule_version``: it is
    upcast with the cause ``model`` and nothing else known."""

    TOPIC: ClassVar[str] = "domain.lead_events:Scored"

    class_version: ClassVar[int] = 2

    breakdown: ScoreBreakdown
    rule_version: str
    grade: Grade | None = Field(default=None, description="Fit to the ideal customer profile, A to F")
    model_version: int | None = Field(default=None, ge=1, description="The published scoring model that scored")
    contributions: tuple[Contribution, ...] = Field(default=(), description="Criterion → points, before caps")
    cause: ScoreCause = ScoreCause.MODEL
    bands: Bands | None = None
    mql_threshold: int | None = Field(default=None, ge=1, le=100)

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["cause"] = ScoreCause.MODEL.value

    def apply(self, lead: Lead) -> None:
        lead.score_breakdown = self.breakdown
        lead.score_rule_version = self.rule_version
        lead.grade = self.grade
        lead.score_model_version = self.model_version
        lead.contributions = self.contributions
        lead.bands = self.bands or lead.bands
        lead.mql_threshold = self.mql_threshold or lead.mql_threshold


class ScoreReclassified(Aggregate.Event):
    """A published scoring model changed what this lead's score means, not the score: its
    temperature bands or MQL threshold put the same score in another temperature or stage.
    Recorded once, by the re-scoring that follows the publication (or by the lead's next save,
    if that comes first), and only when the temperature or the stage it shows changes; a lead
    whose score moves gets a ``Scored`` instead, which carries the new bands itself.
    ``temperature`` and ``stage`` are what the lead shows from then on (the stage as of its
    status then)."""

    TOPIC: ClassVar[str] = "domain.lead_events:ScoreReclassified"

    model_version: int = Field(ge=1, description="The published scoring model whose bands apply")
    bands: Bands
    mql_threshold: int = Field(ge=1, le=100)
    temperature: Temperature
    stage: Stage | None = Field(default=None, description="None for a lead that ended (merged)")

    def apply(self, lead: Lead) -> None:
        lead.bands = self.bands
        lead.mql_threshold = self.mql_threshold
        lead.score_model_version = self.model_version


class LikelihoodEstimated(Aggregate.Event):
    """The active learned model's likelihood that the lead converts (per cent, strictly inside
    0..100) and the factors behind it; recorded when it changes."""

    TOPIC: ClassVar[str] = "domain.lead_events:LikelihoodEstimated"

    probability: float = Field(gt=0, lt=100)
    model_version: int = Field(ge=1)
    factors: tuple[Factor, ...] = ()

    def apply(self, lead: Lead) -> None:
        lead.likelihood = self.probability
        lead.likelihood_model_version = self.model_version
        lead.likelihood_factors = self.factors


class ScoreAdjusted(Aggregate.Event):
    """A rep's manual adjustment of the score as shown: the shown score moves by ``points``
    within 0-100, and the adjustment is kept as an offset over later rule-based scores."""

    TOPIC: ClassVar[str] = "domain.lead_events:ScoreAdjusted"

    personal_data: ClassVar[dict[str, Any]] = {"reason": ERASED}

    points: int = Field(ge=-100, le=100)
    reason: LongText

    def apply(self, lead: Lead) -> None:
        lead.score_adjustment = max(0, min(100, lead.score + self.points)) - lead.rule_score
