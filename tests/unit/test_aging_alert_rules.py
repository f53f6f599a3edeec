"""Aging alerts: raised once a lead has been in its status for the threshold's number of days,
and refused when the monitor's view is behind (the lead moved on, or is not old enough)."""

from __future__ import annotations

import pytest

from domain.errors import InvalidCommand
from domain.lead_events import AgingAlerted
from domain.picklists import LeadStatus
from tests.unit.conftest import META, new_lead


@pytest.mark.parametrize("days", [7, 8, 30])
def test_an_aging_alert_is_raised_from_exactly_the_threshold_on(days: int) -> None:
    lead = new_lead()
    lead.raise_aging_alert(status=LeadStatus.NEW, days_in_status=days, threshold_days=7, meta=META)
    event = lead.pending_events[-1]
    assert isinstance(event, AgingAlerted)
    assert (event.status, event.days_in_status, event.threshold_days) == (LeadStatus.NEW, days, 7)
    assert (lead.version, lead.status) == (2, LeadStatus.NEW)


def test_an_aging_alert_a_day_before_the_threshold_is_refused() -> None:
    lead = new_lead()
    with pytest.raises(InvalidCommand) as refused:
        lead.raise_aging_alert(status=LeadStatus.NEW, days_in_status=6, threshold_days=7, meta=META)
    assert (str(refused.value), refused.value.field) == ("the lead is not over the threshold yet", "days_in_status")
    assert lead.version == 1


def test_an_aging_alert_for_a_status_the_lead_has_left_is_refused_naming_both() -> None:
    lead = new_lead()
    lead.contact(via="call", meta=META)
    with pytest.raises(InvalidCommand) as refused:
        lead.raise_aging_alert(status=LeadStatus.NEW, days_in_status=9, threshold_days=7, meta=META)
    assert (str(refused.value), refused.value.field) == ("the lead is contacted now, not new", "status")
    assert lead.version == 2
