"""The lead's scores: signals, model scores and reclassification, likelihood, and manual
adjustments, each recorded only when something moves. A mixin of :class:`~domain.lead.Lead`,
kept apart so each module keeps one job."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain import lead_events as ev
from domain.errors import (
    InvalidCommand,
)
from domain.lead_state import LeadState
from domain.lifecycle import LeadCommand as C
from domain.likelihood import Estimate
from domain.records import (
    ScoreBreakdown,
    Signal,
)
from domain.score_values import Bands, ScoreCause, ScoreResult, stage_of
from domain.values import EventMeta


class LeadScoring(LeadState):
    if TYPE_CHECKING:

        def check_allowed(self, command: C) -> None: ...

        def trigger_event(self, event_class: Any, **kwargs: Any) -> None: ...

    def record_signal(self, *, signal: Signal, meta: EventMeta) -> None:
        self.check_allowed(C.RECORD_SIGNAL)
        self.trigger_event(ev.SignalRecorded, signal=signal, meta=meta)

    def record_score(self, *, breakdown: ScoreBreakdown, rule_version: str, meta: EventMeta) -> None:
        self.check_allowed(C.SCORE)
        if (breakdown, rule_version) != (self.score_breakdown, self.score_rule_version):
            self.trigger_event(ev.Scored, breakdown=breakdown, rule_version=rule_version, meta=meta)

    def record_model_score(
        self, *, result: ScoreResult, version: int, bands: Bands, mql_threshold: int, cause: ScoreCause, meta: EventMeta
    ) -> bool:
        """A score under published model ``version`` (``domain.score_engine`` computes it),
        recorded only when the score or the grade moves: a re-scoring that changes nothing
        leaves no event. True when recorded."""
        if self.score_breakdown is not None and (result.total, result.grade) == (self.rule_score, self.grade):
            return False
        if self.score_breakdown is None and result.total == 0 and result.grade is None:
            return False
        self.check_allowed(C.SCORE)
        self.trigger_event(
            ev.Scored,
            breakdown=result.breakdown,
            rule_version=f"model-{version}",
            grade=result.grade,
            model_version=version,
            contributions=result.contributions,
            cause=cause,
            bands=bands,
            mql_threshold=mql_threshold,
            meta=meta,
        )
        return True

    def reclassify(self, *, version: int, bands: Bands, mql_threshold: int, meta: EventMeta) -> bool:
        """Take the bands and MQL threshold of published model ``version`` for a score that did
        not move, recorded only when the lead then shows another temperature or stage (a lead
        whose score moved takes them with its ``Scored``). True when recorded."""
        if (bands, mql_threshold) == (self.bands, self.mql_threshold):
            return False
        temperature = bands.temperature(self.score)
        stage = stage_of(self.status, self.score, mql_threshold=mql_threshold)
        if (temperature, stage) == (self.temperature, self.stage):
            return False
        self.check_allowed(C.SCORE)
        self.trigger_event(
            ev.ScoreReclassified,
            model_version=version,
            bands=bands,
            mql_threshold=mql_threshold,
            temperature=temperature,
            stage=stage,
            meta=meta,
        )
        return True

    def record_likelihood(self, *, estimate: Estimate, version: int, meta: EventMeta) -> None:
        """Recorded when the likelihood, or the model behind it, changes."""
        if (estimate.probability, version) != (self.likelihood, self.likelihood_model_version):
            self.check_allowed(C.SCORE)
            self.trigger_event(
                ev.LikelihoodEstimated,
                probability=estimate.probability,
                model_version=version,
                factors=estimate.factors,
                meta=meta,
            )

    def adjust_score(self, *, points: int, reason: str, meta: EventMeta) -> None:
        self.check_allowed(C.ADJUST_SCORE)
        if not reason.strip():
            raise InvalidCommand("a manual score adjustment needs a reason", field="reason")
        if points == 0 or not -100 <= points <= 100:
            raise InvalidCommand("points must be between -100 and 100 and not 0", field="points")
        self.trigger_event(ev.ScoreAdjusted, points=points, reason=reason, meta=meta)
