"""Where each event leads a lead, as every reader of the log works it out (the aggregate and the
read models alike): from no status before its capture, through most events that change nothing."""

from __future__ import annotations

import pytest

from domain.lifecycle import status_after
from domain.picklists import LeadStatus as S


@pytest.mark.parametrize(
    ("event", "current", "after"),
    [
        ("captured", None, S.NEW),
        ("contacted", "new", S.CONTACTED),
        ("contacted", "qualified", S.QUALIFIED),
        ("qualified", "contacted", S.QUALIFIED),
        ("nurtured", "qualified", S.NURTURE),
        ("disqualified", "nurture", S.UNQUALIFIED),
        ("merged_into", "new", S.MERGED),
        ("converted", "qualified", S.CONVERTED),
        ("assigned", "contacted", S.CONTACTED),
        ("note_added", "unqualified", S.UNQUALIFIED),
    ],
)
def test_each_event_leads_to_its_status_and_the_others_keep_the_current_one(
    event: str, current: str | None, after: S
) -> None:
    assert status_after(event, current) is after


def test_an_event_other_than_a_capture_seen_before_the_capture_has_no_status() -> None:
    assert status_after("assigned", None) is None
    assert status_after("contacted", None) is None


def test_a_reopening_goes_where_the_event_says() -> None:
    assert status_after("reopened", "unqualified", reopened_to="contacted") is S.CONTACTED
    assert status_after("reopened", "nurture", reopened_to="new") is S.NEW


def test_only_a_reopening_goes_where_reopened_to_says() -> None:
    assert status_after("qualified", "contacted", reopened_to="new") is S.QUALIFIED
    assert status_after("assigned", "nurture", reopened_to="new") is S.NURTURE
