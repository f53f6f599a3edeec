"""Where a lead goes and why: the published rule list, and the decision for one lead.

:func:`decide` is pure: given the rules, the directory, a team's rotation and the loads, it
says who gets the lead (or which queue), by which rule and strategy, and in words why. The
application service (``domain.routes_leads``) saves the decision with the lead.

Precedence: a person's own assignment always wins (recorded as ``manual``); otherwise the first
matching rule; when no rule matches and the creator is an active rep, the creator owns the
lead; otherwise, or when the rule finds nobody available, the fallback queue takes it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated
from uuid import NAMESPACE_URL, uuid5

from domain.access import Role
from domain.base import Aggregate
from domain.decision import Decision
from domain.directory import Directory
from domain.errors import InvalidCommand
from domain.lead_state import LeadState
from domain.limits import Items
from domain.picklists import Strategy
from domain.rotation import Rotation
from domain.routing import ActionKind, Problem, Rule, first_match, problems
from domain.values import EventMeta

RULES_ID = uuid5(NAMESPACE_URL, "urn:leads-engine:routing-rules")


class RoutingRules(Aggregate):
    """The ordered rule list; each publication is a new revision, recorded whole."""

    class Opened(Aggregate.Created):
        def apply(self, rules: RoutingRules) -> None:
            pass

    class Published(Aggregate.Event):
        revision: int
        rules: Annotated[tuple[Rule, ...], Items("routing_rules")]

        def apply(self, rules: RoutingRules) -> None:
            rules.revision = self.revision
            rules.rules = self.rules

    def __init__(self) -> None:
        self.revision = 0
        self.rules: tuple[Rule, ...] = ()

    @classmethod
    def open(cls, *, meta: EventMeta) -> RoutingRules:
        return cls._create(cls.Opened, id=RULES_ID, meta=meta)

    @staticmethod
    def revision_at(version: int) -> int:
        """The revision published by the event at ``version`` (opening the list is version 1;
        each publication adds one)."""
        return version - 1

    def publish(self, *, rules: tuple[Rule, ...], directory: Directory, meta: EventMeta) -> None:
        """Refused, naming every problem, unless the whole list is sound."""
        users = {name: u.status != "inactive" for name, u in directory.users.items()}
        teams = {name: len(roster.members) for name, roster in directory.teams.items()}
        found = problems(rules, users=users, teams=teams)
        if found:
            raise RulesRefused(found)
        self.trigger_event(self.Published, revision=self.revision + 1, rules=rules, meta=meta)


class RulesRefused(InvalidCommand):
    """The rule list has problems; all of them are named, each with the field and the reason."""

    def __init__(self, found: list[Problem]) -> None:
        first = found[0]
        super().__init__(f"{len(found)} problem(s) in the rules; first: {first.reason}", field=first.field)
        self.problems = found


@dataclass(frozen=True)
class Situation:
    """What a decision reads: the rules and directory in force, the team rotations, the loads."""

    rules: RoutingRules
    directory: Directory
    rotation: Callable[[str], Rotation]
    loads: Callable[[Iterable[str]], dict[str, float]]
    fallback_queue: str
    now: datetime


def decide(lead: LeadState, *, situation: Situation, creator: str, excluded: frozenset[str]) -> Decision:
    """Where ``lead`` goes (nowhere, when the decision names neither owner nor queue).
    ``excluded``: users found full or away while saving an earlier try."""
    rules = situation.rules
    rule = first_match(rules.rules, lead)
    if rule is None:
        return _unmatched(situation, creator)
    action, why = rule.action, f"rule {rule.id} ({rule.name})"
    directory = situation.directory
    decided = None
    if action.kind is ActionKind.QUEUE:
        decided = Decision(Strategy.QUEUE, f"{why}: queue of team {action.target}", queue=action.target)
    elif action.kind is ActionKind.USER:
        user = directory.users.get(action.target)
        if user is not None and user.routable and user.name not in excluded:
            decided = Decision(Strategy.USER, f"{why}: named user {user.name}", owner=user.name)
        else:
            return _fallback(situation, f"{why} names {action.target}, who takes no leads now (away, inactive or full)")
    else:
        rotation = situation.rotation(action.target)
        eligible = [
            m for m in rotation.members if m not in excluded and m in directory.users and directory.users[m].routable
        ]
        if action.kind is ActionKind.ROUND_ROBIN:
            member, strategy, how = rotation.next_by_turn(eligible), Strategy.ROUND_ROBIN, "round robin"
        else:
            member = rotation.next_by_load(eligible, situation.loads(eligible))
            strategy, how = Strategy.LOAD_BALANCE, "load balancing"
        if member is None:
            return _fallback(situation, f"{why}: nobody in team {action.target} is available")
        decided = Decision(strategy, f"{why}: team {action.target} by {how}", owner=member, team=action.target)
    due = None
    if decided.owner and rule.respond_within_minutes:
        due = situation.now + timedelta(minutes=rule.respond_within_minutes)
    return Decision(
        decided.strategy,
        decided.reason,
        owner=decided.owner,
        queue=decided.queue,
        team=decided.team,
        rule_id=rule.id,
        revision=rules.revision,
        respond_by=due,
    )


def _unmatched(situation: Situation, creator: str) -> Decision:
    """The creator, if an active rep; else the fallback queue, or, before any rule list was
    ever published (routing not set up), nowhere: the lead stays unassigned."""
    user = situation.directory.users.get(creator)
    if user is not None and Role.REP in user.profile.roles and user.status == "active":
        return Decision(Strategy.CREATOR, f"no rule matched; {creator}, a rep, created it", owner=creator)
    if situation.rules.revision == 0:
        return Decision(Strategy.FALLBACK, "no assignment rules are published: left unassigned")
    return _fallback(situation, "no rule matched")


def _fallback(situation: Situation, why: str) -> Decision:
    queue = situation.fallback_queue
    return Decision(Strategy.FALLBACK, f"{why}: fallback queue {queue}", queue=queue, revision=situation.rules.revision)
