"""A scoring model: what an admin configures to give every lead a score out of 100 and a grade.

Three categories, each capped (40/40/20 by default, at most 100 together): demographic and
firmographic criteria are conditions on the lead's fields (the same :class:`Condition` as the
assignment rules), behavioural criteria give points per occurrence of an engagement signal,
with an optional cap per signal type per day. Behavioural points fade by a half-life or drop
out of a rolling window. Temperature bands and the MQL threshold belong to the model too.

A model is checked whole when it is saved (:func:`model_problems`), never while scoring: a
scoring only ever evaluates a model that passed.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from domain.limits import Items, ShortText, Text
from domain.picklists import Picklist, SignalKind
from domain.routing import Condition, Problem, condition_problem
from domain.score_values import DEFAULT_MQL_THRESHOLD, Bands
from domain.values import Frozen


class Category(Picklist):
    DEMOGRAPHIC = "demographic"
    """Who the person is: job title, seniority, country..."""
    FIRMOGRAPHIC = "firmographic"
    """What their company is: size, revenue, industry..."""
    BEHAVIORAL = "behavioral"
    """What they did: opened, clicked, visited, downloaded, submitted, attended."""


class DecayKind(Picklist):
    NONE = "none"
    """Behavioural points stay."""
    HALF_LIFE = "half_life"
    """A signal's points halve every ``days`` days."""
    WINDOW = "window"
    """A signal counts fully for ``days`` days, then not at all (Marketo's rolling window)."""


CriterionId = Annotated[
    str, Text("name", blank=False), Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._@+-]*$", examples=["dach"])
]
"""Letters, digits and ``._@+-``: named in contributions and history."""
Points = Annotated[int, Field(strict=True, ge=-100, le=100)]


class FieldCriterion(Frozen):
    """Points when all ``conditions`` on the lead's fields hold."""

    id: CriterionId = Field(description="Stable across versions: named in every contribution it makes")
    category: Category = Field(examples=["demographic"])
    conditions: Annotated[tuple[Condition, ...], Items("rule_conditions")]
    points: Points = Field(examples=[10])


class SignalCriterion(Frozen):
    """Points for each occurrence of a signal; at most ``max_points_per_day`` from this type in
    one (UTC) day."""

    id: CriterionId
    signal: SignalKind
    points: Points = Field(examples=[5])
    max_points_per_day: int | None = Field(default=None, strict=True, ge=1, le=100)


class Caps(Frozen):
    """The most each category gives; never above the product brief's parts (40/40/20), so a
    score is always out of 100 and a breakdown always fits its event."""

    demographic: int = Field(default=40, strict=True, ge=0, le=40)
    behavioral: int = Field(default=40, strict=True, ge=0, le=40)
    firmographic: int = Field(default=20, strict=True, ge=0, le=20)

    def of(self, category: Category) -> int:
        cap: int = getattr(self, category.value)
        return cap


class Decay(Frozen):
    kind: DecayKind = DecayKind.NONE
    days: int | None = Field(default=None, strict=True, ge=1, le=3650)


class ScoringModel(Frozen):
    """Everything that decides a lead's score and grade."""

    criteria: Annotated[tuple[FieldCriterion, ...], Items("routing_rules")] = ()
    signals: Annotated[tuple[SignalCriterion, ...], Items("routing_rules")] = ()
    caps: Caps = Caps()
    bands: Bands = Bands()
    mql_threshold: int = Field(default=DEFAULT_MQL_THRESHOLD, strict=True, ge=1, le=100)
    decay: Decay = Decay()
    note: ShortText | None = None


CIRCULAR = ("score", "temperature")
"""Fields a criterion may not test: the score is what the criteria make."""


def model_problems(model: ScoringModel) -> list[Problem]:
    """Everything wrong with a model, each with the field and the reason (``rule`` names the
    criterion, or ``model``)."""
    found: list[Problem] = []
    seen: set[str] = set()
    for i, c in enumerate(model.criteria):
        where = f"criteria.{i}"
        if c.id in seen:
            found.append(Problem(rule=c.id, field=f"{where}.id", reason="another criterion has this id"))
        seen.add(c.id)
        if c.category is Category.BEHAVIORAL:
            reason = "behavioral points come from signals; put this criterion under `signals`"
            found.append(Problem(rule=c.id, field=f"{where}.category", reason=reason))
        if not c.conditions:
            found.append(Problem(rule=c.id, field=f"{where}.conditions", reason="a criterion needs a condition"))
        if c.points == 0:
            found.append(Problem(rule=c.id, field=f"{where}.points", reason="a criterion of 0 points does nothing"))
        for j, condition in enumerate(c.conditions):
            wrong = condition_problem(condition)
            if condition.field in CIRCULAR:
                wrong = f"a score criterion cannot test {condition.field}, which the score decides"
            if wrong:
                found.append(Problem(rule=c.id, field=f"{where}.conditions.{j}", reason=wrong))
    kinds: set[str] = set()
    for i, s in enumerate(model.signals):
        where = f"signals.{i}"
        if s.id in seen:
            found.append(Problem(rule=s.id, field=f"{where}.id", reason="another criterion has this id"))
        seen.add(s.id)
        if s.signal in kinds:
            found.append(Problem(rule=s.id, field=f"{where}.signal", reason=f"{s.signal} is scored twice"))
        kinds.add(s.signal)
        if s.points == 0:
            found.append(Problem(rule=s.id, field=f"{where}.points", reason="a criterion of 0 points does nothing"))
        if s.max_points_per_day is not None and s.points < 0:
            reason = "a daily cap applies to positive points only"
            found.append(Problem(rule=s.id, field=f"{where}.max_points_per_day", reason=reason))
    found.extend(_settings_problems(model))
    return found


def _settings_problems(model: ScoringModel) -> list[Problem]:
    found: list[Problem] = []
    if model.bands.cold_max >= model.bands.warm_max:
        reason = f"cold_max {model.bands.cold_max} must be below warm_max {model.bands.warm_max}"
        found.append(Problem(rule="model", field="bands", reason=reason))
    if model.bands.warm_max >= 100:
        found.append(
            Problem(rule="model", field="bands.warm_max", reason="no score could be hot: it must be below 100")
        )
    decay = model.decay
    if decay.kind is DecayKind.NONE and decay.days is not None:
        found.append(Problem(rule="model", field="decay.days", reason="no decay takes no days"))
    if decay.kind is not DecayKind.NONE and decay.days is None:
        found.append(Problem(rule="model", field="decay.days", reason=f"{decay.kind} decay needs days"))
    return found
