"""Scoring: the rule-based score, a rep's manual adjustment within -100..100 kept as an offset,
the shown score clamped to 0..100, and the temperature bands of the product brief."""

from __future__ import annotations

import pytest

from domain.errors import InvalidCommand
from domain.lead import Lead
from domain.picklists import Temperature
from domain.records import ScoreBreakdown
from tests.unit.conftest import META, new_lead


def scored(total: int, *, rule_version: str = "r1") -> Lead:
    """A lead whose rule-based score is ``total`` (0..100)."""
    lead = new_lead()
    demographic = min(total, 40)
    behavioral = min(total - demographic, 40)
    breakdown = ScoreBreakdown(
        demographic=demographic, behavioral=behavioral, firmographic=total - demographic - behavioral
    )
    lead.record_score(breakdown=breakdown, rule_version=rule_version, meta=META)
    assert lead.score == total
    return lead


@pytest.mark.parametrize(
    ("score", "temperature"),
    [
        (0, Temperature.COLD),
        (30, Temperature.COLD),
        (31, Temperature.WARM),
        (69, Temperature.WARM),
        (70, Temperature.HOT),
        (100, Temperature.HOT),
    ],
)
def test_temperature_bands_are_0_to_30_cold_31_to_69_warm_70_to_100_hot(score: int, temperature: Temperature) -> None:
    assert Temperature.of(score) is temperature
    assert scored(score).temperature is temperature


def test_a_new_lead_has_no_score_and_is_cold() -> None:
    lead = new_lead()
    assert (lead.score, lead.temperature, lead.score_breakdown, lead.score_rule_version) == (
        0,
        Temperature.COLD,
        None,
        None,
    )


def test_a_score_records_its_breakdown_and_rule_version() -> None:
    lead = scored(45, rule_version="rules-2026-11")
    assert lead.score_rule_version == "rules-2026-11"
    assert lead.score_breakdown == ScoreBreakdown(demographic=40, behavioral=5, firmographic=0)


def test_the_same_score_under_the_same_rules_records_nothing_but_new_rules_do() -> None:
    lead = scored(45)
    breakdown = lead.score_breakdown
    assert breakdown is not None
    lead.record_score(breakdown=breakdown, rule_version="r1", meta=META)
    assert lead.version == 2
    lead.record_score(breakdown=breakdown, rule_version="r2", meta=META)
    assert (lead.version, lead.score_rule_version) == (3, "r2")


def test_the_shown_score_stops_at_100_and_keeps_the_adjustment_that_got_it_there() -> None:
    lead = scored(50)
    lead.adjust_score(points=60, reason="board referral", meta=META)
    assert lead.score == 100
    lead.record_score(
        breakdown=ScoreBreakdown(demographic=20, behavioral=20, firmographic=0), rule_version="r1", meta=META
    )
    assert lead.score == 90, "the +50 that reached 100 stays on top of the new rule score of 40"


def test_the_shown_score_stops_at_0_and_keeps_the_adjustment_that_got_it_there() -> None:
    lead = scored(30)
    lead.adjust_score(points=-50, reason="wrong contact", meta=META)
    assert lead.score == 0
    lead.record_score(
        breakdown=ScoreBreakdown(demographic=40, behavioral=20, firmographic=0), rule_version="r1", meta=META
    )
    assert lead.score == 30, "the -30 that reached 0 stays under the new rule score of 60"


def test_a_score_adjusted_past_100_shows_100_even_before_any_rule_score() -> None:
    lead = new_lead()
    lead.adjust_score(points=100, reason="key account", meta=META)
    lead.adjust_score(points=100, reason="key account", meta=META)
    assert lead.score == 100
    lead.adjust_score(points=-1, reason="correction", meta=META)
    assert lead.score == 99


@pytest.mark.parametrize("points", [100, -100, 1, -1])
def test_an_adjustment_of_up_to_100_points_either_way_is_accepted(points: int) -> None:
    lead = scored(50)
    lead.adjust_score(points=points, reason="rep's judgement", meta=META)
    assert lead.score == max(0, min(100, 50 + points))
    assert lead.version == 3


@pytest.mark.parametrize("points", [101, -101, 0])
def test_an_adjustment_beyond_100_points_or_of_none_is_refused(points: int) -> None:
    lead = scored(50)
    with pytest.raises(InvalidCommand) as refused:
        lead.adjust_score(points=points, reason="rep's judgement", meta=META)
    assert str(refused.value) == "points must be between -100 and 100 and not 0"
    assert refused.value.field == "points"
    assert (lead.score, lead.version) == (50, 2)


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_adjustment_needs_a_reason(reason: str) -> None:
    lead = scored(50)
    with pytest.raises(InvalidCommand) as refused:
        lead.adjust_score(points=10, reason=reason, meta=META)
    assert str(refused.value) == "a manual score adjustment needs a reason"
    assert refused.value.field == "reason"
    assert lead.version == 2
