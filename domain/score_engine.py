"""The score of one lead under one model, at one moment: a pure function, so a test computes the
expected score by hand and a re-scoring after a publication, a signal or a day of decay gives
the same figure for the same inputs.

Field criteria add their points when all their conditions hold. Each signal adds its
criterion's points, counted in time order until the type's cap for that (UTC) day is reached,
then multiplied by its decay factor (``0.5 ** (age / half_life)``, or 1 inside the rolling
window and 0 outside). Each category's sum is kept within 0 and its cap; the behavioural sum is
rounded half up once, at the end. Contributions are each criterion's own points (rounded),
before the category cap, so an admin sees what every criterion did even when a cap cut it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

from domain.lead import Lead
from domain.lead_state import LeadState
from domain.records import ScoreBreakdown, Signal
from domain.score_values import Contribution, Grade, ScoreCause, ScoreResult
from domain.scoring import Category, Decay, DecayKind, ScoringModel, SignalCriterion
from domain.values import EventMeta

DAY_S = 86_400.0


def score_lead(model: ScoringModel, lead: LeadState, *, now: datetime) -> ScoreResult:
    """The score, grade and contributions of ``lead`` under ``model`` at ``now``."""
    sums: dict[Category, float] = defaultdict(float)
    contributions: list[Contribution] = []
    for criterion in model.criteria:
        if all(condition.holds(lead) for condition in criterion.conditions):
            sums[criterion.category] += criterion.points
            contributions.append(
                Contribution(criterion=criterion.id, category=criterion.category, points=criterion.points)
            )
    for criterion_id, points in behavioural_points(model, lead.signals, now=now).items():
        sums[Category.BEHAVIORAL] += points
        rounded = half_up(points)
        if rounded:
            contributions.append(Contribution(criterion=criterion_id, category=Category.BEHAVIORAL, points=rounded))
    caps = model.caps
    breakdown = ScoreBreakdown(
        demographic=_within(half_up(sums[Category.DEMOGRAPHIC]), caps.demographic),
        behavioral=_within(half_up(sums[Category.BEHAVIORAL]), caps.behavioral),
        firmographic=_within(half_up(sums[Category.FIRMOGRAPHIC]), caps.firmographic),
    )
    grade = Grade.of(breakdown.demographic + breakdown.firmographic, caps.demographic + caps.firmographic)
    return ScoreResult(breakdown, grade, tuple(contributions))


def apply_model(
    lead: Lead, *, version: int, model: ScoringModel, cause: ScoreCause, now: datetime, meta: EventMeta
) -> bool:
    """Score ``lead`` under published model ``version`` and record it if it moved; if it did
    not, record its reclassification if the model's bands or MQL threshold change the
    temperature or stage it shows. True when an event was recorded."""
    bands, threshold = model.bands, model.mql_threshold
    result = score_lead(model, lead, now=now)
    if lead.record_model_score(
        result=result, version=version, bands=bands, mql_threshold=threshold, cause=cause, meta=meta
    ):
        return True
    return lead.reclassify(version=version, bands=bands, mql_threshold=threshold, meta=meta)


def behavioural_points(model: ScoringModel, signals: Iterable[Signal], *, now: datetime) -> dict[str, float]:
    """Each signal criterion's points (unrounded), after daily caps and decay."""
    by_kind = {s.signal: s for s in model.signals}
    used: dict[tuple[str, date], int] = defaultdict(int)
    points: dict[str, float] = defaultdict(float)
    for signal in sorted(signals, key=lambda s: _utc(s.occurred_at)):
        criterion = by_kind.get(signal.kind)
        if criterion is None:
            continue
        raw = _counted(criterion, used, _utc(signal.occurred_at).date())
        if raw:
            points[criterion.id] += raw * decay_factor(model.decay, _utc(signal.occurred_at), now=now)
    return dict(points)


def _counted(criterion: SignalCriterion, used: dict[tuple[str, date], int], day: date) -> int:
    """The raw points this occurrence counts for, within its type's cap for the day."""
    cap = criterion.max_points_per_day
    if cap is None:
        return criterion.points
    key = (criterion.id, day)
    raw = max(0, min(criterion.points, cap - used[key]))
    used[key] += raw
    return raw


def decay_factor(decay: Decay, occurred_at: datetime, *, now: datetime) -> float:
    """How much of a signal's points still count at ``now`` (a signal from the future counts
    fully)."""
    if decay.kind is DecayKind.NONE or decay.days is None:
        return 1.0
    age_days = max(0.0, (_utc(now) - _utc(occurred_at)).total_seconds() / DAY_S)
    if decay.kind is DecayKind.WINDOW:
        return 1.0 if age_days < decay.days else 0.0
    return float(0.5 ** (age_days / decay.days))


def half_up(value: float) -> int:
    """Rounded half away from zero (Python's ``round`` rounds half to even)."""
    return int(Decimal(repr(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _within(value: int, cap: int) -> int:
    return max(0, min(cap, value))


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
