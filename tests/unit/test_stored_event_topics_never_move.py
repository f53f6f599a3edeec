"""A stored event is found again by its topic (module and class name). The Lead's events were
split over several modules for size; each must still be recorded and resolved under the topic
it was first stored with, or old stores and new ones would name the same event two ways."""

from __future__ import annotations

from eventsourcing.utils import get_topic, resolve_topic

from domain.lead_events import LEAD_EVENTS
from domain.lead_work_events import TaskScheduled


def test_every_lead_event_is_stored_under_its_first_topic() -> None:
    for cls in LEAD_EVENTS:
        assert get_topic(cls) == f"domain.lead_events:{cls.__name__}"


def test_an_event_stored_before_the_split_resolves_to_its_class() -> None:
    assert resolve_topic("domain.lead_events:TaskScheduled") is TaskScheduled
