"""The learned likelihood: on a generated history with a planted signal the held-out ROC AUC is at
least 0.8 and the calibration error below 0.05; bad training files are refused saying why;
probabilities shown stay strictly inside (0, 100); a corrupted artifact is never activated."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from domain.errors import NotFound
from domain.likelihood import ArtifactCorrupted, LikelihoodModels, TrainedModel, shown_probability
from infra.likelihood import BadTrainingData, load, predict, top_factors, train
from tests.unit.conftest import META


def history(rows: int, *, seed: int = 7) -> pd.DataFrame:
    """Leads over two years; software companies, larger ones and webinar-goers convert more
    (the planted signal); noise columns, missing values and an id column besides."""
    rng = np.random.default_rng(seed)
    industry = rng.choice(["software", "retail", "finance", "health", "public"], rows)
    size = rng.lognormal(4, 1.2, rows).round() + 1
    webinars = rng.poisson(0.6, rows)
    logit = -4.5 + 3.0 * (industry == "software") + 1.2 * np.log10(size) + 1.5 * webinars
    converted = rng.random(rows) < 1 / (1 + np.exp(-logit))
    frame = pd.DataFrame(
        {
            "lead_id": [f"L{i}" for i in range(rows)],
            "created_at": [datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=53 * i) for i in range(rows)],
            "industry": industry,
            "company_size": size,
            "webinars": webinars,
            "noise": rng.normal(size=rows),
            "country": rng.choice(["DE", "FR", "US", None], rows),
            "converted": np.where(converted, "yes", "no"),
        }
    )
    frame.loc[rng.random(rows) < 0.1, "company_size"] = np.nan
    return frame


def test_a_planted_signal_is_learned_with_auc_above_0_8_and_calibration_error_below_0_05() -> None:
    began = time.monotonic()
    trained = train(history(20_000), outcome="converted", source="csv", file="history.csv")
    evaluation, described = trained.evaluation, trained.training_set
    assert evaluation.roc_auc >= 0.8, evaluation
    assert evaluation.ece < 0.05, evaluation
    assert (described.split, described.held_out, described.rows) == ("time:created_at", 5_000, 20_000)
    assert set(described.categorical) == {"industry", "country"} and "lead_id" not in described.categorical
    assert trained.checksum == hashlib.sha256(trained.artifact).hexdigest()
    assert time.monotonic() - began < 60


def test_the_factors_behind_a_likelihood_name_the_planted_features() -> None:
    trained = train(history(5_000), outcome="converted", source="csv")
    model = load(trained.artifact)
    lead = pd.DataFrame(
        [{"industry": "software", "company_size": 5000.0, "webinars": 4, "noise": 0.0, "country": "DE"}]
    )
    assert predict(model, lead)[0] > 0.8
    named = [name for name, _ in top_factors(model, lead)[0]]
    assert "webinars" in named and "industry_software" in named


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (history(500).drop(columns=["converted"]), "no column 'converted'"),
        (history(500).assign(converted="yes"), "one class only"),
        (history(40), "too few rows"),
        (history(500).assign(converted="maybe"), "use 1/0, true/false"),
    ],
)
def test_a_bad_training_file_is_refused_saying_why(frame: pd.DataFrame, reason: str) -> None:
    with pytest.raises(BadTrainingData, match=reason):
        train(frame, outcome="converted", source="csv")


@pytest.mark.parametrize(("p", "shown"), [(0.0, 0.1), (1.0, 99.9), (0.5, 50.0), (-3.0, 0.1), (0.99999, 99.9)])
def test_a_probability_is_shown_strictly_between_0_and_100(p: float, shown: float) -> None:
    assert shown_probability(p) == shown and 0 < shown_probability(p) < 100


def test_only_an_artifact_matching_its_checksum_is_activated() -> None:
    trained = train(history(1_000), outcome="converted", source="csv")
    models = LikelihoodModels.open(meta=META)
    recorded = TrainedModel(
        version=1, checksum=trained.checksum, training_set=trained.training_set, evaluation=trained.evaluation
    )
    models.record_training(model=recorded, meta=META)
    corrupted = hashlib.sha256(trained.artifact[:-1] + b"x").hexdigest()
    with pytest.raises(ArtifactCorrupted, match="not activated"):
        models.activate(version=1, found_checksum=corrupted, meta=META)
    with pytest.raises(ArtifactCorrupted, match="missing"):
        models.activate(version=1, found_checksum=None, meta=META)
    with pytest.raises(NotFound):
        models.activate(version=2, found_checksum=trained.checksum, meta=META)
    assert models.active is None
    models.activate(version=1, found_checksum=trained.checksum, meta=META)
    assert models.active == 1
