"""Where a fan-out of read models resumes: the least advanced member decides (issue #21)."""

from __future__ import annotations

import pytest

from consumers.fan_out import FanOut, common_start


def test_a_fan_out_resumes_at_each_partitions_least_advanced_member() -> None:
    assert common_start([{0: 10, 1: 5}, {0: 7, 1: 9}]) == {0: 7, 1: 5}


def test_a_partition_one_member_never_read_is_read_from_its_start() -> None:
    assert common_start([{0: 10, 1: 5}, {0: 7}]) == {0: 7}
    assert common_start([{0: 10}, {}]) == {}


def test_a_fan_out_needs_a_member() -> None:
    with pytest.raises(ValueError):
        FanOut([])
