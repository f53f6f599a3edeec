"""Every type the engine publishes or takes carries the reverse-DNS prefix the CloudEvents spec
recommends; the short types of earlier releases stay readable as aliases, and nothing stored
changes (the engine's own name of an event is still the short one)."""

from __future__ import annotations

import pytest

from domain.contract.documents import published_json_schemas
from domain.contract.envelope import CLASSES, event_type
from domain.contract.intake import INTAKE_ALIASES, INTAKE_TYPES, MESSAGES, intake_command, intake_type
from domain.contract.notifications import NOTIFICATION_TYPE
from domain.contract.type_names import TYPE_PREFIX, short_name, wire_type
from domain.lead_events import Qualified


def test_the_prefix_is_the_reverse_of_the_name_our_source_carries() -> None:
    assert TYPE_PREFIX == "org.leads-engine."
    assert wire_type("lead.qualified.v1") == "org.leads-engine.lead.qualified.v1"
    assert short_name("org.leads-engine.lead.qualified.v1") == short_name("lead.qualified.v1") == "lead.qualified.v1"


def test_the_engine_keeps_its_short_name_of_an_event() -> None:
    """Stored events, the API's history and the projections name an event without the prefix."""
    assert event_type(Qualified) == "lead.qualified.v1"


def test_every_published_schema_is_keyed_by_a_prefixed_type() -> None:
    names = {name.split("#")[0] for name in published_json_schemas()}
    assert all(name.startswith(TYPE_PREFIX) for name in names), sorted(n for n in names if "org." not in n)
    assert {wire_type(event_type(c)) for c in CLASSES.values()} | {NOTIFICATION_TYPE} <= names


@pytest.mark.parametrize("command", sorted(MESSAGES))
def test_an_intake_command_is_taken_under_its_new_type_and_its_old_one(command: str) -> None:
    assert intake_type(command) == f"org.leads-engine.lead.intake.{command}.v1"
    assert intake_command(intake_type(command)) == intake_command(f"lead.intake.{command}.v1") == command


@pytest.mark.parametrize(
    "ce_type",
    [
        "com.example.lead.intake.capture.v1",
        "org.leads-engine.lead.intake.teleport.v1",
        "org.leads-engine.org.leads-engine.lead.intake.capture.v1",
        "org.leads-engine.",
        "",
    ],
)
def test_a_type_that_is_neither_is_no_intake_command(ce_type: str) -> None:
    assert intake_command(ce_type) is None


def test_the_intake_types_listed_to_producers_are_the_new_ones_only() -> None:
    assert all(t.startswith(TYPE_PREFIX) for t in INTAKE_TYPES)
    assert not set(INTAKE_TYPES) & set(INTAKE_ALIASES)
    assert sorted(INTAKE_TYPES.values()) == sorted(INTAKE_ALIASES.values()) == sorted(MESSAGES)
