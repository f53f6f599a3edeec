"""Sealing walks the declared personal paths with its own compiled steps instead of JSONPath's
parser on every event: it must find exactly what JSONPath finds, name it the same way (events
sealed before keep opening), and put values back exactly where JSONPath's update would."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from jsonpath_ng import parse

from infra.personal_data import found, put

EXPRESSIONS = ["details.email", "details.address.city", "activities[*].subject", "changes.*", "notes[*].text", "reason"]
keys = st.sampled_from(["details", "email", "address", "city", "activities", "subject", "changes", "notes", "text"])
odd_keys = st.text(min_size=1, max_size=6)
leaves = st.none() | st.booleans() | st.integers() | st.text(max_size=5)
values: Any = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys | odd_keys, inner, max_size=4),
    max_leaves=12,
)
states = st.dictionaries(keys, values, max_size=5)


@settings(max_examples=300, deadline=None)
@given(state=states, expression=st.sampled_from(EXPRESSIONS))
def test_the_compiled_walk_finds_what_jsonpath_finds_in_the_same_order_and_names(
    state: dict[str, Any], expression: str
) -> None:
    try:
        expected = [(str(m.full_path), m.value) for m in parse(expression).find(state)]
    except (TypeError, AttributeError):
        return  # shapes JSONPath itself cannot walk (no event has them)
    assert [(concrete, container[key]) for concrete, container, key in found(expression, state)] == expected


@settings(max_examples=300, deadline=None)
@given(state=states, expression=st.sampled_from(EXPRESSIONS), value=leaves)
def test_a_value_is_put_back_exactly_where_jsonpath_would_put_it(
    state: dict[str, Any], expression: str, value: Any
) -> None:
    try:
        concretes = [str(m.full_path) for m in parse(expression).find(state)]
    except (TypeError, AttributeError):
        return
    for concrete in concretes:
        ours, theirs = copy.deepcopy(state), copy.deepcopy(state)
        put(concrete, ours, value)
        parse(concrete).update(theirs, value)
        assert ours == theirs
