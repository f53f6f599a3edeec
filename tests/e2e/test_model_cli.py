"""`leads model` as an operator runs it (issue #18): train on a CSV of historical leads, with its
figures printed and the training recorded as an event; bad CSVs refused with a clear message;
activate a version, never one whose stored artifact was corrupted; train on the engine's own
history of converted and disqualified leads."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from domain.lead_events import LikelihoodEstimated
from domain.likelihood import LikelihoodModels
from domain.picklists import BantItem, DisqualifyReason
from domain.records import OpportunityTerms
from domain.values import EventMeta, LeadDetails
from infra.model_cli import activate, train_command
from infra.runtime import Engine
from tests.integration.helpers import run_in_thread, wait_until_caught_up
from tests.unit.test_likelihood_training import history

LEADS = shutil.which("leads") or str(Path(sys.executable).parent / "leads")


def cpu_of_children() -> float:
    """CPU seconds spent by finished child processes: a shared, loaded machine stretches wall
    time, not the work a training does."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def leads(engine: Engine, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {
        "LEADS_POSTGRES_DSN": engine.settings.postgres_dsn or "",
        "LEADS_HOME": str(engine.settings.home),
    }
    return subprocess.run([LEADS, "model", *args], env=env, capture_output=True, text=True, timeout=300)


def test_train_on_a_csv_print_the_figures_and_activate_only_an_intact_artifact(engine: Engine, tmp_path: Path) -> None:
    csv = tmp_path / "crm-export.csv"
    history(10_000).to_csv(csv, index=False)
    began = cpu_of_children()
    trained = leads(engine, "train", "--csv", str(csv), "--outcome", "converted")
    assert trained.returncode == 0, trained.stderr
    spent = cpu_of_children() - began
    assert spent < 60, f"10,000 rows train in under a minute of CPU, the CLI's start included: {spent:.1f} s"
    assert "model 1: 10000 leads" in trained.stdout and "held out 2500 by time:created_at" in trained.stdout
    assert "ROC AUC" in trained.stdout and "Brier" in trained.stdout and "predicted  observed" in trained.stdout
    models = engine.service.likelihood_models()
    described = models.trained[1].training_set
    assert (described.source, described.file, described.rows) == ("csv", "crm-export.csv", 10_000)
    assert any(isinstance(e, LikelihoodModels.Trained) for e in engine.service.events.get(models.id))

    assert leads(engine, "activate", "1").returncode == 0
    assert engine.service.likelihood_models().active == 1

    again = leads(engine, "train", "--csv", str(csv), "--outcome", "converted", "--time-column", "created_at")
    assert again.returncode == 0, again.stderr
    checksum = engine.service.likelihood_models().trained[2].checksum
    with engine.db.cursor() as cur:
        cur.execute(
            f"UPDATE {engine.settings.event_schema}.attachment_blobs SET content = content || '\\x00'::bytea "
            "WHERE content_hash = %s",
            (checksum,),
        )
    refused = leads(engine, "activate", "2")
    assert refused.returncode == 1 and "not activated" in refused.stderr
    assert engine.service.likelihood_models().active == 1, "the intact model stays in use"


def test_bad_csvs_are_refused_with_a_clear_message(engine: Engine, tmp_path: Path) -> None:
    cases = {
        "no-outcome.csv": (history(500).drop(columns=["converted"]), "no column 'converted'"),
        "one-class.csv": (history(500).assign(converted="no"), "one class only"),
        "tiny.csv": (history(30), "too few rows"),
    }
    for name, (frame, reason) in cases.items():
        frame.to_csv(tmp_path / name, index=False)
        answer = leads(engine, "train", "--csv", str(tmp_path / name), "--outcome", "converted")
        assert answer.returncode == 2 and reason in answer.stderr, (name, answer.stderr)
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(b"\x00\xff\xfe" * 100)
    answer = leads(engine, "train", "--csv", str(garbage), "--outcome", "converted")
    assert answer.returncode == 2 and "leads: cannot read" in answer.stderr
    assert engine.service.likelihood_models().trained == {}


def test_train_on_the_engines_own_history_of_converted_and_disqualified_leads(engine: Engine) -> None:
    s, meta = engine.service, EventMeta(actor="rep-1")
    bant = dict.fromkeys(BantItem, "yes")
    for i in range(160):
        software = i % 2 == 0
        details = LeadDetails(
            contact_name=f"L{i}",
            email=f"l{i}@example.com",
            industry="software" if software else "retail",
            company_size=50 + i,
        )
        lead = s.capture_lead(details=details, meta=meta).lead_id
        if (software and i % 10 != 0) or (not software and i % 10 == 1):
            s.contact(lead_id=lead, via="call", meta=meta)
            s.update_bant(lead_id=lead, changes=bant, meta=meta)  # type: ignore[arg-type]
            s.qualify(lead_id=lead, meta=meta)
            terms = OpportunityTerms(name="Deal", deal_value=1000, expected_close="2027-01-01", probability=50)
            s.convert(lead_id=lead, terms=terms, meta=meta)
        else:
            s.disqualify(lead_id=lead, reason=DisqualifyReason.NO_NEED, meta=meta)
    version, trained = train_command(engine, None, None, None)
    assert (version, trained.training_set.source, trained.training_set.rows) == (1, "history", 160)
    assert trained.evaluation.roc_auc >= 0.8
    activate(engine, 1)
    engine.service.routing_settings = engine.service.routing_settings.model_copy(update={"cache_s": 0})
    likely = s.capture_lead(
        details=LeadDetails(contact_name="New", email="new@example.com", industry="Software", company_size=120),
        meta=meta,
    ).lead_id
    unlikely = s.capture_lead(
        details=LeadDetails(contact_name="Old", email="old@example.com", industry="retail", company_size=60), meta=meta
    ).lead_id
    engine.prepare_read_store()
    run_in_thread(engine.consumer("lead_list"))
    wait_until_caught_up(engine)
    monitor = engine.likelihood_monitor()
    now = datetime.now(UTC)
    disqualified = sum(1 for i in range(160) if not ((i % 2 == 0 and i % 10 != 0) or (i % 2 == 1 and i % 10 == 1)))
    assert monitor.sweep(now=now) == 2 + disqualified, "the new leads and the disqualified (open: they may reopen)"
    assert monitor.sweep(now=now) == 0, "nothing changed: nothing recorded"
    estimates = {i: [e for e in s.events.get(i) if isinstance(e, LikelihoodEstimated)] for i in (likely, unlikely)}
    assert [e.model_version for e in estimates[likely]] == [1] and [e.model_version for e in estimates[unlikely]] == [1]
    high, low = estimates[likely][0], estimates[unlikely][0]
    assert 0 < low.probability < high.probability < 100
    assert any(f.feature.startswith("industry") for f in high.factors), high.factors
    assert s.get_lead(likely).likelihood == high.probability
