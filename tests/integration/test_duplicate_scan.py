"""The duplicate scan over leads already stored: planted duplicates (case, spacing, phone format,
typos in names) are found with recall >= 99% and precision >= 95%, progress is reported, the sets
and the report are stored for review, and a pair a person declared distinct is not reported again."""

from __future__ import annotations

from uuid import UUID

from bench.planted import planted, recall_and_precision
from consumers.duplicate_scan import DuplicateScanJob
from domain.lead import Lead
from domain.values import EventMeta
from infra.runtime import Engine
from projections.duplicate_sets import DuplicateSets
from tests.integration.helpers import wait_until_caught_up

META = EventMeta(actor="import:bench")


def stored(engine: Engine, total: int, duplicates: int) -> tuple[list[UUID], set[tuple[int, int]]]:
    data = planted(total, duplicates)
    leads = [Lead.capture(details=d, meta=META) for d in data.leads]
    for start in range(0, len(leads), 500):
        engine.service.save(*leads[start : start + 500])
    engine.prepare_read_store()
    engine._start(engine.consumer("dedupe_index"))
    wait_until_caught_up(engine, engine.projections["dedupe_index"].name)
    return [lead.id for lead in leads], data.pairs


def test_the_scan_finds_planted_duplicates_with_the_recall_and_precision_promised(engine: Engine) -> None:
    ids, truth = stored(engine, 2000, 100)
    seen: list[tuple[int, int]] = []
    job = DuplicateScanJob(cursor=engine.db.cursor, schema=engine.settings.read_schema)
    report = job.run(lambda done, total: seen.append((done, total)))
    index = {lead: i for i, lead in enumerate(ids)}
    found = {frozenset((index[a], index[b])) for a, b in report.pairs}
    recall, precision = recall_and_precision(found, truth)
    assert recall >= 0.99 and precision >= 0.95, (recall, precision)
    assert seen and seen[-1][0] == seen[-1][1], "progress ends at every block compared"
    assert report.scanned == 2000 and job.status.startswith("done")
    with engine.db.cursor() as cur:
        latest = DuplicateSets(schema=engine.settings.read_schema).latest(cur, limit=1000)
    assert latest is not None and latest["sets"] == len(report.sets) == len(latest["items"])

    copy, original = sorted(truth)[0]
    engine.service.dismiss_duplicate(lead_id=ids[copy], of_id=ids[original], meta=EventMeta(actor="rep-1"))
    wait_until_caught_up(engine, engine.projections["dedupe_index"].name)
    again = job.run()
    pairs = {frozenset(p) for p in again.pairs}
    assert frozenset((ids[copy], ids[original])) not in pairs, "a pair declared distinct is never reported again"
    assert len(again.pairs) == len(report.pairs) - 1
