"""The audit stage: ``leads audit verify`` over an untouched log, against streaming the same rows
raw (the same kind of server-side cursor, no hashing): what checking the chain costs over reading."""

from __future__ import annotations

import time

from bench.stages import META, details
from domain.lead import Lead
from infra.chain_verify import verify
from infra.runtime import Engine

TARGET = 20_000.0
"""Events/s the check must reach on the suite's machine (issue #15)."""


def audit_verify(engine: Engine, events: int) -> tuple[float, float]:
    """Events/s verified, and events/s read raw; leads of four events, saved 100 leads at a time."""
    for start in range(0, events // 4, 100):
        leads = []
        for i in range(start, min(events // 4, start + 100)):
            lead = Lead.capture(details=details(i), meta=META)
            lead.contact(via="call", meta=META)
            lead.assign(owner="rep-1", meta=META)
            lead.follow(user="manager", meta=META)
            leads.append(lead)
        engine.service.save(*leads)
    chain = engine.service.chain
    assert chain is not None
    report = verify(chain)
    if not report.ok:
        raise AssertionError(f"bench: an untouched log failed verification: {report.breaks[:3]}")
    with engine.db.connect() as conn:
        started = time.perf_counter()
        with conn.transaction(), conn.cursor(name="raw_read") as cur:
            cur.itersize = 5_000
            cur.execute(f"SELECT originator_id, originator_version, state FROM {chain.events_table} ORDER BY 1, 2")
            read = sum(1 for _ in cur)
        raw = read / (time.perf_counter() - started)
    return report.rate, raw
