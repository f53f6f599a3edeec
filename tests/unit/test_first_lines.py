"""The dry run's in-file duplicate index answers as a dict of first lines would, through its
growth, and keeps a fraction of the dict's memory."""

from __future__ import annotations

import random
import sys

from consumers.first_lines import FirstLines


def test_each_key_answers_the_line_it_was_first_seen_on_through_every_growth() -> None:
    rng = random.Random(19)
    index, expected = FirstLines(capacity=8), dict[int, int]()
    for line in range(2, 20_002):
        key = rng.getrandbits(64) if line % 7 else rng.choice(list(expected) or [0])
        want = expected.get(key | 1)
        assert index.first(key, line) == want, line
        expected.setdefault(key | 1, line)
    assert index.used == len(expected)


def test_a_key_takes_a_fraction_of_what_a_dict_of_ints_takes() -> None:
    index = FirstLines()
    keys = 300_000
    for line in range(1, keys + 1):
        index.first(line * 0x9E3779B97F4A7C15 % 2**64, line)
    per_key = (sys.getsizeof(index.keys) + sys.getsizeof(index.lines)) / keys
    assert per_key < 32, f"{per_key:.0f} bytes a key (a dict of ints: ~115)"
