"""Assignment rules: an ordered list, each with conditions on a lead's fields and one action.

The first enabled rule whose conditions all hold decides where a lead goes: to a named user, to
a team by round robin or by load balancing, or to a queue. Rules are checked when they are
saved (:func:`problems`), never when a lead is captured: a capture only ever evaluates rules
that passed, and at worst sends a lead to the fallback queue.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import cached_property
from typing import Annotated, Any

from pydantic import Field

from domain.directory import Handle
from domain.lead_state import LeadState
from domain.limits import JSON_SAFE_INT, Items, ShortText, Text
from domain.picklists import LeadSource, Picklist, Priority, Temperature, picklist_key
from domain.values import Frozen


class Operator(Picklist):
    EQUALS = "equals"
    IN = "in"
    RANGE = "range"
    PREFIX = "prefix"


class ActionKind(Picklist):
    USER = "user"
    """Give the lead to the named user."""
    ROUND_ROBIN = "round_robin"
    """Give it to the team member whose turn it is."""
    LOAD_BALANCE = "load_balance"
    """Give it to the team member with the fewest leads in progress for their capacity."""
    QUEUE = "queue"
    """Put it in the team's queue, where a member claims it."""


Scalar = (
    Annotated[str, Text("short_text"), Field(strict=True)]
    | Annotated[int, Field(strict=True, ge=-JSON_SAFE_INT, le=JSON_SAFE_INT)]
    | Annotated[float, Field(strict=True, allow_inf_nan=False)]
    | Annotated[bool, Field(strict=True)]
)
"""A value a condition compares with, taken as it came (text is never read as a number): text
within the short-text limit, a number every JSON reader keeps exact (no NaN or infinity), or
true/false."""


class Bounds(Frozen):
    """Both inclusive; either may be left out, not both."""

    min: Scalar | None = None
    max: Scalar | None = None


def _text(lead: LeadState, read: Callable[[LeadState], Any]) -> str | None:
    value = read(lead)
    return None if value is None else str(value)


TEXT_FIELDS: dict[str, Callable[[LeadState], Any]] = {
    "country": lambda lead: lead.details.address.country if lead.details.address else None,
    "region": lambda lead: lead.details.address.region if lead.details.address else None,
    "postal_code": lambda lead: lead.details.address.postal_code if lead.details.address else None,
    "city": lambda lead: lead.details.address.city if lead.details.address else None,
    "industry": lambda lead: lead.details.industry,
    "company": lambda lead: lead.details.company,
    "job_title": lambda lead: lead.details.job_title,
    "source": lambda lead: lead.details.source,
    "priority": lambda lead: lead.details.priority,
    "temperature": lambda lead: lead.temperature,
}
NUMBER_FIELDS: dict[str, Callable[[LeadState], Any]] = {
    "company_size": lambda lead: lead.details.company_size,
    "annual_revenue": lambda lead: lead.details.annual_revenue,
    "score": lambda lead: lead.score,
}
PICKLISTS: dict[str, type[Picklist]] = {"source": LeadSource, "priority": Priority, "temperature": Temperature}
FIELDS = sorted([*TEXT_FIELDS, *NUMBER_FIELDS, "tags", "custom.<key>"])


class Condition(Frozen):
    """``field`` ``op`` ``value``. Text compares without regard to case; ``range`` takes
    ``{"min": ..., "max": ...}`` (both inclusive, either may be left out) on numbers and on
    postal codes (digit-only codes compare as numbers); ``tags`` holds when any tag does."""

    field: Annotated[str, Text("short_text", blank=False)] = Field(examples=["country"])
    op: Operator = Operator.EQUALS
    value: Scalar | Annotated[list[Scalar], Items("list_items")] | Bounds = Field(examples=["DE"])

    def holds(self, lead: LeadState) -> bool:
        """Whether the lead's field satisfies the condition; a value of another kind than the
        condition's (text against a number range) simply does not."""
        return self.holds_for(_present(self.field, lead))

    def holds_for(self, present: list[Any]) -> bool:
        """:meth:`holds`, given the field's values that are present (read once per capture)."""
        test = self.test
        try:
            return any(test(v) for v in present)
        except (ArithmeticError, TypeError, ValueError):
            return False

    @cached_property
    def test(self) -> Callable[[Any], bool]:
        """The comparison, prepared once per published rule: a capture evaluates every rule,
        so what can be folded, keyed or parsed ahead of it is."""
        if self.op is Operator.RANGE:
            assert isinstance(self.value, Bounds)
            low, high = self.value.min, self.value.max
            return lambda actual: (
                (low is None or _order(actual, low) >= 0) and (high is None or _order(actual, high) <= 0)
            )
        wanted = self.value if isinstance(self.value, list) else [self.value]
        if self.op is Operator.PREFIX:
            prefixes = tuple(_fold(w) for w in wanted)
            return lambda actual: _fold(actual).startswith(prefixes)
        folded = frozenset(_fold(w) for w in wanted)
        keys = frozenset(picklist_key(str(w)) for w in wanted)
        numbers = frozenset(Decimal(w) for w in wanted if isinstance(w, int | float) and not isinstance(w, bool))

        def same(actual: Any) -> bool:
            if isinstance(actual, int | float | Decimal) and not isinstance(actual, bool):
                return Decimal(actual) in numbers
            return _fold(actual) in folded or picklist_key(str(actual)) in keys

        return same


def _present(field: str, lead: LeadState) -> list[Any]:
    """The field's values on the lead, leaving out those not set."""
    if field == "tags":
        return list(lead.details.tags)
    if field.startswith("custom."):
        found = lead.details.custom_fields.get(field.removeprefix("custom."))
    else:
        found = (TEXT_FIELDS.get(field) or NUMBER_FIELDS[field])(lead)
    return [] if found is None else [found]


def _fold(value: Any) -> str:
    return str(value).casefold().strip()


def _order(actual: Any, bound: Any) -> int:
    """-1, 0 or 1 as ``actual`` is below, at or above ``bound``."""
    if isinstance(actual, str):
        a, b = actual.replace(" ", "").upper(), str(bound).replace(" ", "").upper()
        if a.isdigit() and b.isdigit():
            a_n, b_n = int(a), int(b)
            return (a_n > b_n) - (a_n < b_n)
        return (a > b) - (a < b)
    a_d, b_d = Decimal(actual), Decimal(bound)
    return (a_d > b_d) - (a_d < b_d)


class RuleAction(Frozen):
    kind: ActionKind
    target: Handle = Field(description="The user (for `user`) or the team (otherwise)")


class Rule(Frozen):
    id: Handle = Field(description="Stable across versions: named in every `assigned` event it decides")
    name: ShortText
    conditions: Annotated[tuple[Condition, ...], Items("rule_conditions")] = Field(
        default=(), description="All must hold; none at all matches every lead (a catch-all)"
    )
    action: RuleAction
    respond_within_minutes: int | None = Field(
        default=None, ge=1, le=60 * 24 * 30, strict=True, description="Speed to lead: contact within this many minutes"
    )
    reroute_when_overdue: bool = Field(
        default=False, strict=True, description="Route an overdue lead again once escalated"
    )
    enabled: bool = Field(default=True, strict=True)


class Problem(Frozen):
    rule: str
    field: str
    reason: str


def first_match(rules: tuple[Rule, ...], lead: LeadState) -> Rule | None:
    """The first enabled rule whose conditions all hold. Each field is read once however many
    rules test it, and a rule stops at its first condition on a field the lead leaves empty:
    a capture evaluates every rule before the one that matches."""
    present: dict[str, list[Any]] = {}
    for rule in rules:
        if not rule.enabled:
            continue
        for condition in rule.conditions:
            values = present.get(condition.field)
            if values is None:
                values = present[condition.field] = _present(condition.field, lead)
            if not values or not condition.holds_for(values):
                break
        else:
            return rule
    return None


def problems(rules: tuple[Rule, ...], *, users: dict[str, bool], teams: dict[str, int]) -> list[Problem]:
    """Everything wrong with a rule list: unknown fields, operators that do not fit a field,
    bad values and ranges, duplicate ids, rules after a catch-all (they can never match),
    unknown or inactive users (``users``: name → active) and unknown or empty teams (``teams``:
    name → members)."""
    found: list[Problem] = []
    seen: set[str] = set()
    catch_all: str | None = None
    for i, rule in enumerate(rules):
        where = f"rules.{i}"
        if rule.id in seen:
            found.append(Problem(rule=rule.id, field=f"{where}.id", reason="another rule has this id"))
        seen.add(rule.id)
        if catch_all is not None and rule.enabled:
            shadowed = f"unreachable: rule {catch_all} before it matches every lead"
            found.append(Problem(rule=rule.id, field=where, reason=shadowed))
        for j, condition in enumerate(rule.conditions):
            wrong = condition_problem(condition)
            if wrong:
                found.append(Problem(rule=rule.id, field=f"{where}.conditions.{j}", reason=wrong))
        target = action_problem(rule.action, users=users, teams=teams)
        if target:
            found.append(Problem(rule=rule.id, field=f"{where}.action.target", reason=target))
        if rule.enabled and not rule.conditions and catch_all is None:
            catch_all = rule.id
    return found


def condition_problem(c: Condition) -> str | None:
    field, value = c.field, c.value
    known = field in TEXT_FIELDS or field in NUMBER_FIELDS or field == "tags"
    if not known and not (field.startswith("custom.") and len(field) > len("custom.")):
        return f"unknown field {field!r}; one of: {', '.join(FIELDS)}"
    if c.op is Operator.RANGE:
        return _range_problem(field, value)
    if c.op is Operator.IN and (not isinstance(value, list) or not value):
        return "`in` takes a non-empty list of values"
    if c.op is not Operator.RANGE and isinstance(value, Bounds):
        return f"`{c.op}` takes a value, not a range"
    if c.op is Operator.EQUALS and not isinstance(value, str | int | float | bool):
        return "`equals` takes one value"
    if c.op is Operator.PREFIX and (field in NUMBER_FIELDS or field in PICKLISTS):
        return f"`prefix` applies to text, and {field} is not free text"
    if c.op is Operator.PREFIX and not all(isinstance(v, str) and v for v in _listed(value)):
        return "`prefix` takes non-empty text (or a list of it)"
    if field in NUMBER_FIELDS and not all(_is_number(v) for v in _listed(value)):
        return f"{field} is a number"
    if field == "score" and not all(0 <= v <= 100 for v in _listed(value)):
        return "score is from 0 to 100"
    if field in PICKLISTS:
        accepted = {m.value for m in PICKLISTS[field]}
        unknown = [v for v in _listed(value) if picklist_key(str(v)) not in accepted]
        if unknown:
            return f"{field} is one of: {', '.join(sorted(accepted))} (not {unknown[0]!r})"
    return None


def _range_problem(field: str, value: Any) -> str | None:
    if field not in NUMBER_FIELDS and field != "postal_code" and not field.startswith("custom."):
        return f"`range` applies to numbers and postal codes, not to {field}"
    if not isinstance(value, Bounds) or (value.min is None and value.max is None):
        return '`range` takes {"min": ..., "max": ...} (either may be left out, not both)'
    low, high = value.min, value.max
    numeric = field != "postal_code" and not field.startswith("custom.")
    if numeric and not all(v is None or _is_number(v) for v in (low, high)):
        return f"{field} is a number"
    if field == "score" and not all(v is None or 0 <= v <= 100 for v in (low, high)):  # type: ignore[operator]
        return "score is from 0 to 100"
    if isinstance(low, bool) or isinstance(high, bool):
        return "a range is bounded by numbers or text, not true or false"
    if low is None or high is None:
        return None
    if isinstance(low, str) != isinstance(high, str):
        return "min and max must both be numbers or both be text"
    if _order(low, high) > 0:
        return f"the range is empty: min {low} is above max {high}"
    return None


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def action_problem(action: RuleAction, *, users: dict[str, bool], teams: dict[str, int]) -> str | None:
    if action.kind is ActionKind.USER:
        if action.target not in users:
            return f"no user named {action.target}"
        return None if users[action.target] else f"{action.target} is inactive"
    if action.target not in teams:
        return f"no team named {action.target}"
    if teams[action.target] == 0 and action.kind is not ActionKind.QUEUE:
        return f"team {action.target} has no members"
    return None
