"""Rule scoring under an admin's model: for each kind of criterion a hand-computed score, caps per
category and per signal type per day, decay by half-life and by rolling window on a controlled
clock, the grade kept apart from the score, and models refused at save with the reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.errors import InvalidCommand
from domain.lead import Lead
from domain.picklists import SignalKind, Temperature
from domain.records import Signal
from domain.score_engine import apply_model, score_lead
from domain.score_values import Grade, ScoreCause, Stage
from domain.scoring import ScoringModel, model_problems
from domain.scoring_models import ModelRefused, ScoringModels
from tests.unit.conftest import META, new_lead

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def model(**fields: Any) -> ScoringModel:
    return ScoringModel.model_validate(fields)


def criterion(cid: str, category: str, field: str, value: Any, points: int, op: str = "equals") -> dict[str, Any]:
    return {
        "id": cid,
        "category": category,
        "points": points,
        "conditions": [{"field": field, "op": op, "value": value}],
    }


def with_signals(lead: Lead, *signals: tuple[SignalKind, datetime]) -> Lead:
    for kind, at in signals:
        lead.record_signal(signal=Signal(kind=kind, occurred_at=at), meta=META)
    return lead


DACH = criterion("dach", "demographic", "country", ["DE", "AT", "CH"], 15, op="in")
CTO = criterion("cto", "demographic", "job_title", "CTO", 20)
MID_MARKET = criterion("mid", "firmographic", "company_size", {"min": 50, "max": 500}, 12, op="range")
STUDENT = criterion("student", "demographic", "job_title", "student", -30)


def test_a_demographic_criterion_gives_its_points_when_its_condition_holds() -> None:
    scored = score_lead(model(criteria=[DACH]), new_lead(address={"country": "DE"}), now=NOW)
    assert (scored.total, scored.breakdown.demographic) == (15, 15)
    assert score_lead(model(criteria=[DACH]), new_lead(address={"country": "FR"}), now=NOW).total == 0


def test_a_firmographic_range_criterion_gives_its_points_inside_the_range_only() -> None:
    assert score_lead(model(criteria=[MID_MARKET]), new_lead(company_size=50), now=NOW).breakdown.firmographic == 12
    assert score_lead(model(criteria=[MID_MARKET]), new_lead(company_size=501), now=NOW).total == 0


def test_criteria_of_a_category_add_up_to_its_cap_and_the_contributions_show_each() -> None:
    lead = new_lead(address={"country": "CH"}, job_title="cto", company_size=100)
    big = criterion("exec", "demographic", "job_title", "cto", 30)
    scored = score_lead(model(criteria=[DACH, big, MID_MARKET]), lead, now=NOW)
    assert (scored.breakdown.demographic, scored.breakdown.firmographic, scored.total) == (40, 12, 52), "15+30 capped"
    assert {c.criterion: c.points for c in scored.contributions} == {"dach": 15, "exec": 30, "mid": 12}


def test_a_negative_criterion_takes_points_away_but_a_category_never_goes_below_zero() -> None:
    lead = new_lead(address={"country": "DE"}, job_title="Student")
    assert score_lead(model(criteria=[DACH, STUDENT]), lead, now=NOW).breakdown.demographic == 0, "15-30 floors at 0"
    assert (
        score_lead(
            model(criteria=[DACH, CTO, STUDENT]), new_lead(address={"country": "DE"}, job_title="CTO"), now=NOW
        ).total
        == 35
    )


def test_lowered_caps_bound_each_category() -> None:
    lead = new_lead(address={"country": "DE"}, job_title="CTO")
    assert score_lead(model(criteria=[DACH, CTO], caps={"demographic": 25}), lead, now=NOW).total == 25


def test_each_signal_occurrence_gives_the_points_of_its_type() -> None:
    lead = with_signals(new_lead(), *[(SignalKind.EMAIL_CLICKED, NOW - timedelta(hours=h)) for h in (1, 2, 3)])
    m = model(signals=[{"id": "click", "signal": "email_clicked", "points": 5}])
    scored = score_lead(m, lead, now=NOW)
    assert (scored.breakdown.behavioral, [c.points for c in scored.contributions]) == (15, [15])


def test_a_signal_type_gives_at_most_its_daily_cap_per_utc_day() -> None:
    day1 = datetime(2026, 11, 30, 9, tzinfo=UTC)
    visits = [(SignalKind.PAGE_VISITED, day1 + timedelta(minutes=m)) for m in range(5)]
    visits += [(SignalKind.PAGE_VISITED, day1 + timedelta(days=1, minutes=m)) for m in range(2)]
    m = model(signals=[{"id": "visit", "signal": "page_visited", "points": 3, "max_points_per_day": 10}])
    assert score_lead(m, with_signals(new_lead(), *visits), now=NOW).total == 16, "day 1: 3+3+3+1 = 10; day 2: 6"


def test_behavioural_points_stop_at_the_behavioural_cap() -> None:
    lead = with_signals(new_lead(), *[(SignalKind.FORM_SUBMITTED, NOW) for _ in range(5)])
    assert (
        score_lead(model(signals=[{"id": "form", "signal": "form_submitted", "points": 10}]), lead, now=NOW).total == 40
    )


HALF_LIFE = model(
    signals=[{"id": "dl", "signal": "content_downloaded", "points": 20}], decay={"kind": "half_life", "days": 7}
)


@pytest.mark.parametrize(("age_days", "expected"), [(0, 20), (3.5, 14), (7, 10), (14, 5), (70, 0)])
def test_a_half_life_halves_behavioural_points_every_half_life(age_days: float, expected: int) -> None:
    """20 x 0.5 ** (age / 7): at 3.5 days 14.14 rounds to 14; at 70 days 0.02 rounds to 0."""
    lead = with_signals(new_lead(), (SignalKind.CONTENT_DOWNLOADED, NOW))
    assert score_lead(HALF_LIFE, lead, now=NOW + timedelta(days=age_days)).total == expected


def test_a_rolling_window_counts_a_signal_fully_inside_it_and_not_at_all_after() -> None:
    m = model(signals=[{"id": "web", "signal": "webinar_attended", "points": 25}], decay={"kind": "window", "days": 30})
    lead = with_signals(new_lead(), (SignalKind.WEBINAR_ATTENDED, NOW))
    assert score_lead(m, lead, now=NOW + timedelta(days=29, hours=23)).total == 25
    assert score_lead(m, lead, now=NOW + timedelta(days=30)).total == 0


@pytest.mark.parametrize(
    ("fit", "grade"),
    [
        (60, Grade.A),
        (48, Grade.A),
        (47, Grade.B),
        (36, Grade.B),
        (24, Grade.C),
        (12, Grade.D),
        (11, Grade.F),
        (0, Grade.F),
    ],
)
def test_the_grade_is_the_share_of_fit_points_a_80_b_60_c_40_d_20(fit: int, grade: Grade) -> None:
    assert Grade.of(fit, 60) is grade


def test_the_grade_measures_fit_only_engagement_does_not_raise_it() -> None:
    m = model(criteria=[DACH], signals=[{"id": "form", "signal": "form_submitted", "points": 40}])
    lead = with_signals(new_lead(address={"country": "DE"}), (SignalKind.FORM_SUBMITTED, NOW))
    scored = score_lead(m, lead, now=NOW)
    assert (scored.total, scored.grade) == (55, Grade.D), "15 of 60 fit points is 25 %"


def problems_of(**fields: Any) -> list[tuple[str, str]]:
    return [(p.field, p.reason) for p in model_problems(model(**fields))]


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"criteria": [criterion("x", "demographic", "shoe_size", 1, 5)]}, "criteria.0.conditions.0", "unknown field"),
        ({"criteria": [criterion("x", "demographic", "score", 10, 5)]}, "criteria.0.conditions.0", "cannot test score"),
        ({"criteria": [criterion("x", "behavioral", "country", "DE", 5)]}, "criteria.0.category", "under `signals`"),
        ({"criteria": [DACH, DACH]}, "criteria.1.id", "another criterion"),
        ({"criteria": [criterion("x", "demographic", "country", "DE", 0)]}, "criteria.0.points", "0 points"),
        ({"criteria": [{**DACH, "conditions": []}]}, "criteria.0.conditions", "needs a condition"),
        (
            {
                "signals": [
                    {"id": "a", "signal": "email_opened", "points": 1},
                    {"id": "b", "signal": "email_opened", "points": 2},
                ]
            },
            "signals.1.signal",
            "scored twice",
        ),
        ({"bands": {"cold_max": 70, "warm_max": 40}}, "bands", "must be below"),
        ({"bands": {"cold_max": 30, "warm_max": 100}}, "bands.warm_max", "no score could be hot"),
        ({"decay": {"kind": "half_life"}}, "decay.days", "needs days"),
        ({"decay": {"kind": "none", "days": 3}}, "decay.days", "no decay"),
    ],
)
def test_a_bad_model_is_refused_naming_the_field_and_the_reason(
    fields: dict[str, Any], field: str, reason: str
) -> None:
    found = problems_of(**fields)
    assert any(f == field and reason in r for f, r in found), found


def test_a_sound_model_has_no_problems() -> None:
    assert (
        problems_of(criteria=[DACH, CTO, MID_MARKET], signals=[{"id": "o", "signal": "email_opened", "points": 1}])
        == []
    )


def test_a_lead_records_a_score_only_when_its_score_or_grade_moves() -> None:
    m = model(criteria=[DACH], signals=[{"id": "form", "signal": "form_submitted", "points": 10}], mql_threshold=20)
    lead = new_lead(address={"country": "DE"})
    assert apply_model(lead, version=1, model=m, cause=ScoreCause.DETAILS, now=NOW, meta=META)
    assert (lead.score, lead.grade, lead.score_model_version, lead.stage) == (15, Grade.D, 1, Stage.LEAD)
    assert not apply_model(lead, version=2, model=m, cause=ScoreCause.MODEL, now=NOW, meta=META), "same score and grade"
    with_signals(lead, (SignalKind.FORM_SUBMITTED, NOW))
    assert apply_model(lead, version=2, model=m, cause=ScoreCause.SIGNAL, now=NOW, meta=META)
    last = lead.collect_events()[-1]
    assert (last.cause, last.model_version, lead.score, lead.stage) == (ScoreCause.SIGNAL, 2, 25, Stage.MQL)  # type: ignore[attr-defined]
    assert {c.criterion: c.points for c in lead.contributions} == {"dach": 15, "form": 10}


def test_the_temperature_follows_the_bands_of_the_model_that_scored() -> None:
    m = model(criteria=[DACH], bands={"cold_max": 9, "warm_max": 14})
    lead = new_lead(address={"country": "DE"})
    apply_model(lead, version=1, model=m, cause=ScoreCause.DETAILS, now=NOW, meta=META)
    assert (lead.score, lead.temperature) == (15, Temperature.HOT)


def test_a_draft_with_problems_is_refused_whole_and_leaves_no_trace() -> None:
    models = ScoringModels.open(meta=META)
    with pytest.raises(ModelRefused) as refused:
        models.save_draft(model=model(decay={"kind": "window"}), meta=META)
    assert (refused.value.field, models.draft, models.model_version) == ("decay.days", None, 0)
    assert "problem(s) in the scoring model" in str(refused.value)


def test_publishing_makes_the_draft_the_next_version_and_needs_a_changed_draft() -> None:
    models = ScoringModels.open(meta=META)
    with pytest.raises(InvalidCommand, match="no draft"):
        models.publish(meta=META)
    models.save_draft(model=model(criteria=[DACH]), meta=META)
    models.publish(meta=META)
    assert (models.model_version, models.current) == (1, model(criteria=[DACH]))
    with pytest.raises(InvalidCommand, match="as published"):
        models.publish(meta=META)
    models.save_draft(model=model(criteria=[DACH, CTO]), meta=META)
    models.publish(meta=META)
    assert (models.model_version, sorted(models.published)) == (2, [1, 2])


@pytest.mark.parametrize(
    ("category", "field", "op", "value", "details", "expected"),
    [
        ("demographic", "country", "equals", "DE", {"address": {"country": "DE"}}, 11),
        ("demographic", "country", "equals", "DE", {"address": {"country": "FR"}}, 0),
        ("demographic", "job_title", "prefix", "VP", {"job_title": "VP Engineering"}, 11),
        ("demographic", "job_title", "prefix", "VP", {"job_title": "SVP Engineering"}, 0),
        ("firmographic", "industry", "in", ["software", "saas"], {"industry": "saas"}, 11),
        ("firmographic", "industry", "in", ["software", "saas"], {"industry": "retail"}, 0),
        ("firmographic", "annual_revenue", "range", {"min": 1_000_000}, {"annual_revenue": 1_000_000}, 11),
        ("firmographic", "annual_revenue", "range", {"min": 1_000_000}, {"annual_revenue": 999_999}, 0),
    ],
)
def test_each_kind_of_field_criterion_gives_its_points_exactly_when_it_holds(
    category: str, field: str, op: str, value: Any, details: dict[str, Any], expected: int
) -> None:
    """11 points when the condition holds, 0 otherwise, in the criterion's own category."""
    scored = score_lead(
        model(criteria=[criterion("c", category, field, value, 11, op=op)]), new_lead(**details), now=NOW
    )
    assert (scored.total, getattr(scored.breakdown, category)) == (expected, expected)


@pytest.mark.parametrize("kind", list(SignalKind))
def test_every_signal_type_gives_its_own_points_per_occurrence(kind: SignalKind) -> None:
    """Every type scores 2 a time, this one 7: two of this type and one of each other type,
    all an hour old (no decay): 7 + 7 + 2 * 5 = 24."""
    signals = [{"id": k.value, "signal": k.value, "points": 7 if k is kind else 2} for k in SignalKind]
    at = NOW - timedelta(hours=1)
    lead = with_signals(new_lead(), (kind, at), (kind, at), *[(k, at) for k in SignalKind if k is not kind])
    scored = score_lead(model(signals=signals), lead, now=NOW)
    assert scored.breakdown.behavioral == 24
    assert {c.criterion: c.points for c in scored.contributions}[kind.value] == 14
