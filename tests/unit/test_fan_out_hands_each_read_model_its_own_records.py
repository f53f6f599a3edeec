"""One reader feeds several read models: it reads every record any of them wants, and each is
handed only the records it reads (a lead-only read model never sees an account's event)."""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any, cast

from consumers.fan_out import FanOut
from domain.contract.envelope import LEAD_STREAM, WORK_STREAMS, Envelope


class Member:
    def __init__(self, name: str, streams: frozenset[str] | None) -> None:
        self.name, self.tables = name, [f"rm.{name}"]
        self.seen: list[str] = []
        if streams is not None:
            self.streams = streams

    def create(self, cur: Any) -> None:
        pass

    def apply(self, cur: Any, events: Sequence[Envelope]) -> None:
        self.seen.extend(e.stream for e in events)


def test_each_member_gets_only_its_records_and_the_reader_reads_all_they_want() -> None:
    leads_only, work = Member("list", None), Member("feeds", WORK_STREAMS)
    fan = FanOut([cast(Any, leads_only), cast(Any, work)])
    events = [cast(Envelope, SimpleNamespace(stream=s)) for s in ("lead", "account", "opportunity", "lead")]
    fan.apply(None, events)
    assert fan.streams == WORK_STREAMS | LEAD_STREAM
    assert leads_only.seen == ["lead", "lead"]
    assert work.seen == ["lead", "account", "opportunity", "lead"]
