"""Hypothesis strategies for what hostile callers send: huge text, characters outside the Basic
Multilingual Plane, lone surrogates, NUL, right-to-left and invisible marks, and numbers far
out of any sane range. Shared by the command and the intake tests."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

SURROGATES = st.sampled_from(["\ud800", "\udfff", "a\udc00b", "\ud83d"])
"""Lone surrogates: JSON allows them as escapes; UTF-8 and PostgreSQL cannot hold them."""
MARKS = st.sampled_from(["\u202e", "\u200f", "\u200b", "\ufeff", "\u0301", "\u2028"])
"""Right-to-left override and mark, zero-width space, byte-order mark, a combining accent, a line separator."""


def hostile_text(*, max_size: int = 300) -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=max_size),
        st.text(st.characters(min_codepoint=0x10000), min_size=1, max_size=max_size),
        st.builds(lambda a, s, b: a + s + b, st.text(max_size=20), SURROGATES, st.text(max_size=20)),
        st.builds(lambda a, b: a + "\x00" + b, st.text(max_size=20), st.text(max_size=20)),
        st.builds(lambda m, t: m + t, MARKS, st.text(max_size=40)),
        st.integers(min_value=1_000, max_value=300_000).map(lambda n: "x" * n),
        st.just(""),
        st.just("   "),
    )


def hostile_number() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.integers(min_value=-(2**80), max_value=2**80),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([0, -1, 2**31, 2**53, 2**63, 2**64, -(2**63) - 1]),
    )


def hostile_value() -> st.SearchStrategy[Any]:
    return st.one_of(
        hostile_text(),
        hostile_number(),
        st.none(),
        st.booleans(),
        st.lists(hostile_text(max_size=20), max_size=60),
        st.dictionaries(hostile_text(max_size=80), st.one_of(hostile_text(), hostile_number()), max_size=60),
    )


LEAD_FIELDS = (
    "contact_name",
    "email",
    "phone",
    "company",
    "job_title",
    "industry",
    "company_size",
    "annual_revenue",
    "tags",
    "custom_fields",
    "source",
    "priority",
)


def hostile_lead() -> st.SearchStrategy[dict[str, Any]]:
    """Lead details where any field may be hostile (and the rest plausible)."""
    plausible = {"contact_name": "Ada Lovelace", "email": "ada@example.com"}
    return st.dictionaries(st.sampled_from(LEAD_FIELDS), hostile_value(), max_size=4).map(lambda d: plausible | d)
