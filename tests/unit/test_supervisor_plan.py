"""What `leads serve` runs beside the API, by process."""

from __future__ import annotations

from infra.read_side import projections
from infra.supervisor import health_view, plan

NAMES = {short: p.name for short, p in projections("readmodel").items()}


def test_the_projections_are_dealt_over_the_processes_and_the_two_read_your_writes_waits_land_apart() -> None:
    children = plan(projections=NAMES, processes=2, kafka=False)
    groups = [c.serves for c in children if c.serves]
    assert len(groups) == 2 and sorted(n for g in groups for n in g) == sorted(NAMES.values())
    list_group = next(g for g in groups if NAMES["lead_list"] in g)
    assert NAMES["lead_detail"] not in list_group
    assert [c.name for c in children if not c.serves] == ["monitors"]


def test_kafka_mode_adds_the_relay_intake_and_notifier_each_in_its_own_process() -> None:
    children = plan(projections=NAMES, processes=1, kafka=True)
    assert [c.args for c in children if not c.serves][1:] == [
        ["relay"],
        ["consume", "--intake"],
        ["consume", "--notifier"],
    ]


def test_more_processes_than_projections_gives_each_projection_its_own_and_no_empty_process() -> None:
    children = plan(projections=NAMES, processes=64, kafka=False)
    assert sorted(len(c.serves) for c in children if c.serves) == [1] * len(NAMES)


def test_health_lists_each_projection_by_its_own_name_with_its_process_state() -> None:
    children = plan(projections=NAMES, processes=2, kafka=False)
    children[0].status = "restarting after exit -9"
    view = {w.name: w.status for w in health_view(children)}
    assert set(NAMES.values()) | {"monitors"} == set(view)
    assert all(view[name] == "restarting after exit -9" for name in children[0].serves)
