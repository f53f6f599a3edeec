"""Assignment rules: checked when saved, matched in order, and every decision says why."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from domain.access import Role
from domain.assignment import RulesRefused
from domain.directory import TeamRoster, UserProfile, UserStatus
from domain.errors import AlreadyClaimed
from domain.lead import Lead
from domain.picklists import Strategy
from domain.routing import Condition, Rule, problems
from domain.values import EventMeta, LeadDetails
from infra.event_store import StoredLeadService
from tests.unit.conftest import in_memory_service

ADMIN = EventMeta(actor="admin")
USERS = {"ana": True, "ben": True, "old": False}
TEAMS = {"emea": 2, "empty": 0}


def rule(rule_id: str, *conditions: dict[str, Any], action: tuple[str, str] = ("user", "ana"), **extra: Any) -> Rule:
    return Rule.model_validate(
        {
            "id": rule_id,
            "name": rule_id.title(),
            "conditions": list(conditions),
            "action": {"kind": action[0], "target": action[1]},
            **extra,
        }
    )


def reasons(*rules: Rule) -> list[tuple[str, str]]:
    return [(p.field, p.reason) for p in problems(rules, users=USERS, teams=TEAMS)]


@pytest.mark.parametrize(
    ("condition", "reason"),
    [
        ({"field": "colour", "value": "red"}, "unknown field 'colour'"),
        ({"field": "company_size", "op": "prefix", "value": "1"}, "`prefix` applies to text"),
        ({"field": "company_size", "op": "range", "value": {"min": 500, "max": 10}}, "the range is empty"),
        ({"field": "postal_code", "op": "range", "value": {"min": "20000", "max": "10000"}}, "the range is empty"),
        ({"field": "country", "op": "range", "value": {"min": "A", "max": "B"}}, "`range` applies to numbers"),
        ({"field": "country", "op": "in", "value": []}, "non-empty list"),
        ({"field": "source", "value": "carrier pigeon"}, "source is one of"),
        ({"field": "score", "value": "high"}, "score is a number"),
        ({"field": "company_size", "op": "range", "value": {}}, "either may be left out, not both"),
    ],
)
def test_a_bad_condition_is_reported_with_its_place_and_reason(condition: dict[str, Any], reason: str) -> None:
    [(field, why)] = reasons(rule("r1", condition))
    assert field == "rules.0.conditions.0" and reason in why


def test_rules_after_a_catch_all_are_reported_unreachable() -> None:
    found = reasons(rule("everyone"), rule("germany", {"field": "country", "value": "DE"}))
    assert found == [("rules.1", "unreachable: rule everyone before it matches every lead")]


def test_a_disabled_catch_all_shadows_nothing() -> None:
    assert reasons(rule("everyone", enabled=False), rule("germany", {"field": "country", "value": "DE"})) == []


@pytest.mark.parametrize(
    ("action", "reason"),
    [
        (("user", "zoe"), "no user named zoe"),
        (("user", "old"), "old is inactive"),
        (("round_robin", "apac"), "no team named apac"),
        (("load_balance", "empty"), "team empty has no members"),
    ],
)
def test_an_action_on_an_unknown_or_unusable_target_is_reported(action: tuple[str, str], reason: str) -> None:
    assert reasons(rule("r1", action=action)) == [("rules.0.action.target", reason)]


def test_two_rules_with_one_id_are_reported() -> None:
    assert reasons(rule("r1", {"field": "country", "value": "DE"}), rule("r1"))[0] == (
        "rules.1.id",
        "another rule has this id",
    )


def lead_with(**details: Any) -> Lead:
    fields: dict[str, Any] = {"contact_name": "Ada", "email": "ada@example.com"} | details
    return Lead.capture(details=LeadDetails.model_validate(fields), meta=ADMIN)


@pytest.mark.parametrize(
    ("condition", "details", "holds"),
    [
        ({"field": "country", "value": "de"}, {"address": {"country": "DE"}}, True),
        ({"field": "country", "op": "in", "value": ["AT", "CH"]}, {"address": {"country": "DE"}}, False),
        (
            {"field": "postal_code", "op": "range", "value": {"min": "10000", "max": "14999"}},
            {"address": {"postal_code": "10115"}},
            True,
        ),
        (
            {"field": "postal_code", "op": "range", "value": {"min": "10000", "max": "14999"}},
            {"address": {"postal_code": "9999"}},
            False,
        ),
        (
            {"field": "postal_code", "op": "prefix", "value": ["SW1", "EC"]},
            {"address": {"postal_code": "sw1a 1aa"}},
            True,
        ),
        ({"field": "industry", "value": "Software"}, {"industry": "software"}, True),
        ({"field": "source", "value": "Trade Show"}, {"source": "trade_show"}, True),
        ({"field": "company_size", "op": "range", "value": {"min": 500}}, {"company_size": 1200}, True),
        ({"field": "company_size", "op": "range", "value": {"min": 500}}, {}, False),
        ({"field": "tags", "value": "vip"}, {"tags": ["new", "VIP"]}, True),
        (
            {"field": "custom.plan", "op": "in", "value": ["gold", "platinum"]},
            {"custom_fields": {"plan": "Gold"}},
            True,
        ),
        ({"field": "custom.seats", "op": "range", "value": {"max": 10}}, {"custom_fields": {"seats": "many"}}, False),
        ({"field": "temperature", "value": "cold"}, {}, True),
        ({"field": "score", "op": "range", "value": {"min": 1}}, {}, False),
    ],
)
def test_conditions_match_as_people_write_values(
    condition: dict[str, Any], details: dict[str, Any], holds: bool
) -> None:
    assert Condition.model_validate(condition).holds(lead_with(**details)) is holds


# -- decisions through the service ----------------------------------------------------------------


def directory_service(*rules: Rule) -> StoredLeadService:
    service = in_memory_service()
    for name, role, capacity in (
        ("ana", Role.REP, 10),
        ("ben", Role.REP, 10),
        ("cy", Role.REP, 3),
        ("mia", Role.MANAGER, 0),
    ):
        service.add_user(name=name, profile=UserProfile(roles=(role,), capacity=capacity), meta=ADMIN)
    service.set_team(name="emea", roster=TeamRoster(members=("ana", "ben"), managers=("mia",)), meta=ADMIN)
    if rules:
        service.publish_rules(rules=rules, meta=ADMIN)
    return service


def capture(service: StoredLeadService, i: int = 0, *, actor: str = "web-form", **details: Any) -> Lead:
    fields: dict[str, Any] = {"contact_name": f"Lead {i}", "email": f"lead{i}@example.com"} | details
    meta = EventMeta(actor=actor)
    return service.get_lead(service.capture_lead(details=LeadDetails.model_validate(fields), meta=meta).lead_id)


def test_the_first_matching_rule_decides_and_the_assignment_says_which_and_why() -> None:
    service = directory_service(
        rule("germany", {"field": "country", "value": "DE"}, action=("user", "cy"), respond_within_minutes=15),
        rule("everyone", action=("round_robin", "emea")),
    )
    lead = capture(service, address={"country": "DE"})
    assigned = service.history(lead.id)[-1]
    assert lead.owner == "cy"
    assert (assigned.strategy, assigned.rule_id, assigned.rule_revision) == (Strategy.USER, "germany", 1)  # type: ignore[attr-defined]
    assert assigned.reason == "rule germany (Germany): named user cy"  # type: ignore[attr-defined]
    assert lead.respond_by is not None
    assert timedelta(minutes=14, seconds=59) < lead.respond_by - assigned.timestamp <= timedelta(minutes=15)


def test_an_owner_named_at_capture_wins_over_the_rules_and_is_recorded_as_manual() -> None:
    service = directory_service(rule("everyone", action=("round_robin", "emea")))
    lead_id = service.capture_lead(
        details=LeadDetails(contact_name="A", email="a@example.com"), meta=ADMIN, owner="cy"
    ).lead_id
    assigned = service.history(lead_id)[-1]
    assert (service.get_lead(lead_id).owner, assigned.strategy) == ("cy", Strategy.MANUAL)  # type: ignore[attr-defined]


def test_when_no_rule_matches_a_rep_owns_what_they_created_and_anyone_elses_waits_in_the_fallback_queue() -> None:
    service = directory_service(rule("germany", {"field": "country", "value": "DE"}, action=("user", "cy")))
    mine = capture(service, 1, actor="ben")
    theirs = capture(service, 2, actor="web-form")
    assert (mine.owner, service.history(mine.id)[-1].strategy) == ("ben", Strategy.CREATOR)  # type: ignore[attr-defined]
    assert (theirs.owner, theirs.queue) == (None, "triage")
    assert service.history(theirs.id)[-1].reason == "no rule matched: fallback queue triage"  # type: ignore[attr-defined]


def test_before_any_rules_are_published_a_lead_from_a_service_stays_unassigned() -> None:
    lead = capture(directory_service())
    assert (lead.owner, lead.queue, lead.version) == (None, None, 1)


def test_a_rule_list_with_problems_is_refused_whole_and_the_rules_in_force_stay() -> None:
    service = directory_service(rule("everyone", action=("round_robin", "emea")))
    with pytest.raises(RulesRefused) as refused:
        service.publish_rules(
            rules=(
                rule("a", {"field": "country", "value": "DE"}, action=("user", "zoe")),
                rule("b", {"field": "x", "value": 1}),
            ),
            meta=ADMIN,
        )
    assert [p.rule for p in refused.value.problems] == ["a", "b"]
    assert [r.id for r in service.routing_rules(fresh=True).rules] == ["everyone"]


def test_a_named_user_who_is_away_sends_the_lead_to_the_fallback_queue_saying_so() -> None:
    service = directory_service(rule("all-to-cy", action=("user", "cy")))
    service.change_user_status(name="cy", status=UserStatus.AWAY, meta=ADMIN)
    lead = capture(service)
    assert lead.queue == "triage"
    assert "names cy, who takes no leads now" in service.history(lead.id)[-1].reason  # type: ignore[attr-defined]


def test_a_user_at_capacity_gets_no_more_routed_leads() -> None:
    service = directory_service(rule("all-to-cy", action=("user", "cy")))
    owners = [capture(service, i).owner for i in range(4)]
    assert owners == ["cy", "cy", "cy", None], "capacity 3"


def test_load_balancing_picks_the_member_with_the_fewest_leads_for_their_capacity() -> None:
    service = directory_service(rule("balance", action=("load_balance", "emea")))
    service.capture_lead(details=LeadDetails(contact_name="Own", email="own@example.com"), meta=ADMIN, owner="ana")
    owners = [capture(service, i).owner for i in range(3)]
    assert owners == ["ben", "ana", "ben"]


def test_a_reopened_lead_is_routed_again() -> None:
    service = directory_service(rule("everyone", action=("round_robin", "emea")))
    lead = capture(service)
    service.nurture(lead_id=lead.id, meta=ADMIN)
    service.reopen(lead_id=lead.id, meta=ADMIN)
    assert service.get_lead(lead.id).owner == "ben", "the next in turn"


def test_deactivating_a_user_routes_every_lead_they_hold_again_and_history_says_why() -> None:
    service = directory_service(rule("everyone", action=("round_robin", "emea")))
    leads = [capture(service, i).id for i in range(4)]
    held = service.workloads.held_by("ana")
    outcomes = service.deactivate_user(name="ana", meta=ADMIN)
    assert sorted(o.lead_id for o in outcomes if o.done) == sorted(held) and len(held) == 2
    assert {service.get_lead(lead).owner for lead in leads} == {"ben"}
    moved = service.history(held[0])[-1]
    assert (moved.previous_owner, moved.owner) == ("ana", "ben")  # type: ignore[attr-defined]
    assert "ana is inactive" in moved.reason  # type: ignore[attr-defined]


def test_a_queued_lead_is_claimed_once() -> None:
    service = directory_service(rule("queue", action=("queue", "emea")))
    lead = capture(service)
    service.claim(lead_id=lead.id, user="ben", meta=ADMIN)
    with pytest.raises(AlreadyClaimed, match="owned by ben"):
        service.claim(lead_id=lead.id, user="ana", meta=ADMIN)
    claimed = service.history(lead.id)[-1]
    assert (claimed.owner, claimed.strategy) == ("ben", Strategy.CLAIM)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "value",
    [{"min": 5, "max": "ten"}, {"min": True}, {"min": "10000", "max": 20000}],
)
def test_a_range_mixing_numbers_and_text_is_reported_not_crashed_on(value: dict[str, Any]) -> None:
    found = reasons(rule("r1", {"field": "postal_code", "op": "range", "value": value}))
    assert len(found) == 1 and found[0][0] == "rules.0.conditions.0"
