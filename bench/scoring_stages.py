"""Scoring's stages: what scoring adds to the command path (the issue allows 10 %), and how
fast a publication re-scores the open leads."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

from bench.stages import until
from consumers.rescoring import Rescorer, ScoringSettings
from domain.command_handling import MAX_EVENTS_PER_SAVE
from domain.lead import Lead
from domain.picklists import SignalKind
from domain.records import Signal
from domain.score_engine import apply_model
from domain.score_values import ScoreCause
from domain.scoring import Caps, ScoringModel
from domain.values import EventMeta, LeadDetails
from infra.runtime import Engine
from projections.lead_list import LeadList
from projections.open_leads import OpenLeads

META = EventMeta(actor="bench")
COUNTRIES = ["DE", "AT", "CH", "FR", "IT", "ES", "NL", "BE", "SE", "PL"]


def realistic_model() -> ScoringModel:
    """Ten field criteria over both fit categories, a criterion per signal type, a half-life."""
    criteria: list[dict[str, Any]] = [
        {
            "id": f"country-{c}",
            "category": "demographic",
            "points": 5 + i,
            "conditions": [{"field": "country", "op": "equals", "value": c}],
        }
        for i, c in enumerate(COUNTRIES[:6])
    ]
    criteria += [
        {
            "id": "cto",
            "category": "demographic",
            "points": 15,
            "conditions": [{"field": "job_title", "op": "prefix", "value": "CTO"}],
        },
        {
            "id": "mid",
            "category": "firmographic",
            "points": 10,
            "conditions": [{"field": "company_size", "op": "range", "value": {"min": 50, "max": 500}}],
        },
        {
            "id": "saas",
            "category": "firmographic",
            "points": 5,
            "conditions": [{"field": "industry", "op": "in", "value": ["software", "saas"]}],
        },
        {
            "id": "rich",
            "category": "firmographic",
            "points": 5,
            "conditions": [{"field": "annual_revenue", "op": "range", "value": {"min": 1_000_000}}],
        },
    ]
    signals = [{"id": k.value, "signal": k.value, "points": 3, "max_points_per_day": 9} for k in SignalKind]
    return ScoringModel.model_validate(
        {"criteria": criteria, "signals": signals, "decay": {"kind": "half_life", "days": 30}}
    )


def details(i: int) -> LeadDetails:
    return LeadDetails.model_validate(
        {
            "contact_name": f"Lead {i}",
            "email": f"lead{i}@example.com",
            "job_title": "CTO" if i % 3 == 0 else "Engineer",
            "company_size": 1 + i % 1000,
            "industry": "software",
            "address": {"country": COUNTRIES[i % len(COUNTRIES)]},
        }
    )


def command_path_with_scoring(plain: Engine, scored: Engine, leads: int) -> tuple[float, float]:
    """Commands/s of the bench's command path plus a signal (capture, contact, signal, assign,
    follow: the capture and the signal are scored, and both move the score) under a published
    model vs none, alternating blocks of 25 between the two engines so drift hits both."""
    scored.service.save_scoring_draft(model=realistic_model(), meta=META)
    scored.service.publish_scoring_model(meta=META)
    spent = {"plain": 0.0, "scored": 0.0}
    now = datetime.now(UTC)
    for start in range(0, leads, 25):
        for name, engine in (("plain", plain), ("scored", scored)):
            s = engine.service
            began = time.perf_counter()
            for i in range(start, min(leads, start + 25)):
                lead = s.capture_lead(details=details(i), meta=META).lead_id
                s.contact(lead_id=lead, via="call", meta=META)
                s.record_signal(lead_id=lead, signal=Signal(kind=SignalKind.PAGE_VISITED, occurred_at=now), meta=META)
                s.assign(lead_id=lead, owner="rep-1", meta=META)
                s.follow(lead_id=lead, user="manager", meta=META)
            spent[name] += time.perf_counter() - began
    return 5 * leads / spent["scored"], 5 * leads / spent["plain"]


def rescoring(engine: Engine, leads: int, report: dict[str, float] | None = None) -> tuple[float, float]:
    """Leads/s a publication re-scores (one unthrottled pass of the re-scorer, every lead's
    score moving, so every lead gets a ``Scored``) vs captures/s on the command path of the
    same engine under the same model. The captures are timed over the first ``SAMPLE`` leads;
    the rest are stored scored in saves of ``SEED_PER_SAVE`` leads (what matters is how many
    leads the re-scoring meets, not how they arrived). ``report`` receives the pass's duration
    and what its progress says."""
    s = engine.service
    s.save_scoring_draft(model=realistic_model(), meta=META)
    s.publish_scoring_model(meta=META)
    sample = min(leads, SAMPLE)
    began = time.perf_counter()
    for i in range(sample):
        s.capture_lead(details=details(i), meta=META)
    captures = sample / (time.perf_counter() - began)
    seed(engine, range(sample, leads))
    engine.prepare_read_store()
    threading.Thread(target=engine.consumer("lead_list").run, daemon=True).start()
    lead_list = LeadList(schema=engine.settings.read_schema)
    until(lambda: _open_leads(engine, lead_list) >= leads, f"the lead list to hold {leads} leads", timeout_s=3600)
    s.save_scoring_draft(model=realistic_model().model_copy(update={"caps": Caps(demographic=5)}), meta=META)
    s.publish_scoring_model(meta=META)
    rescorer = Rescorer(
        service=s,
        open_leads=OpenLeads(schema=engine.settings.read_schema),
        cursor=engine.db.cursor,
        settings=ScoringSettings(rescore_per_s=1e9),
        interval_s=1,
        stop=threading.Event(),
    )
    began = time.perf_counter()
    rescorer.sweep(now=datetime.now(UTC))
    spent = time.perf_counter() - began
    progress = s.scoring_models(fresh=True).rescoring
    assert progress is not None and progress.finished and progress.done == leads, progress
    assert progress.changed == leads, f"every lead moved, so each has one Scored: {progress}"
    if report is not None:
        report.update(seconds=spent, done=progress.done, changed=progress.changed)
    return leads / spent, captures


SAMPLE = 500
SEED_PER_SAVE = MAX_EVENTS_PER_SAVE // 2
"""A capture and its ``Scored``: two events a lead."""


def seed(engine: Engine, numbers: range) -> None:
    """Leads captured and scored under the model in force, saved ``SEED_PER_SAVE`` at a time."""
    models = engine.service.scoring_models(fresh=True)
    assert models.current is not None
    now = datetime.now(UTC)
    for start in range(numbers.start, numbers.stop, SEED_PER_SAVE):
        batch = [
            Lead.capture(details=details(i), meta=META) for i in range(start, min(numbers.stop, start + SEED_PER_SAVE))
        ]
        for lead in batch:
            apply_model(
                lead, version=models.model_version, model=models.current, cause=ScoreCause.DETAILS, now=now, meta=META
            )
        engine.service.save(*batch)


def _open_leads(engine: Engine, lead_list: LeadList) -> int:
    with engine.db.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {lead_list.table}")
        [(found,)] = cur.fetchall()
    return int(found)
