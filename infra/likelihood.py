"""Training a likelihood-to-convert model with scikit-learn, and reading one back.

A logistic regression in a pipeline (numeric columns: median-imputed and scaled; categorical:
missing as its own value, one-hot, unseen values ignored), calibrated by
``CalibratedClassifierCV`` (sigmoid, 5 folds). It is evaluated on a held-out part: the latest
quarter by time when the data has a time column, else a stratified random quarter, reporting
ROC AUC, the Brier score and a calibration table with its expected calibration error. The
artifact is the pickled pipeline: data addressed by its SHA-256, fetched and checked again
before it is activated.
"""

from __future__ import annotations

import hashlib
import io
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from domain.likelihood import CalibrationBin, Evaluation, TrainingSet

MIN_ROWS = 100
MIN_PER_CLASS = 20
BINS = 10
TIME_NAMES = ("created_at", "created", "date", "time", "timestamp")
YES = {"1", "true", "yes", "y", "converted", "won", "1.0"}
NO = {"0", "false", "no", "n", "disqualified", "lost", "unqualified", "0.0"}


class BadTrainingData(ValueError):
    """The data cannot train a model; the message says why and what to change."""


@dataclass(frozen=True)
class Trained:
    artifact: bytes
    checksum: str
    training_set: TrainingSet
    evaluation: Evaluation


def read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, low_memory=False)
    except (OSError, ValueError, UnicodeDecodeError) as e:
        raise BadTrainingData(f"cannot read {path}: {e}") from None


def outcomes(column: pd.Series) -> pd.Series:
    """1 for converted, 0 for not, NaN where unknown; refused unless every known value is one
    of the two spellings."""
    text = column.dropna().astype(str).str.strip().str.lower()
    unknown = sorted(set(text) - YES - NO)
    if unknown:
        raise BadTrainingData(
            f"the outcome column holds {unknown[:3]!r}; use 1/0, true/false, yes/no or converted/disqualified"
        )
    return column.map(lambda v: np.nan if pd.isna(v) else float(str(v).strip().lower() in YES))


def train(
    frame: pd.DataFrame, *, outcome: str, source: str, file: str | None = None, time_column: str | None = None
) -> Trained:
    """Train, evaluate on the held-out part, and serialise. Refused with a clear reason when
    the outcome column is missing, has one class, or there are too few rows."""
    if outcome not in frame.columns:
        raise BadTrainingData(f"no column {outcome!r}; the columns are: {', '.join(map(str, frame.columns))}")
    y_all = outcomes(frame[outcome])
    frame = frame.loc[y_all.notna()].reset_index(drop=True)
    y = y_all.dropna().astype(int).reset_index(drop=True)
    positives, negatives = int(y.sum()), int(len(y) - y.sum())
    if positives == 0 or negatives == 0:
        raise BadTrainingData(
            f"the outcome has one class only ({positives} converted, {negatives} not): nothing to learn"
        )
    if len(y) < MIN_ROWS or min(positives, negatives) < MIN_PER_CLASS:
        raise BadTrainingData(
            f"too few rows: {len(y)} ({positives} converted, {negatives} not); "
            f"at least {MIN_ROWS}, with {MIN_PER_CLASS} of each outcome"
        )
    time_column = time_column or next((c for c in frame.columns if str(c).lower() in TIME_NAMES), None)
    x = frame.drop(columns=[c for c in (outcome, time_column) if c is not None])
    numeric, categorical = _features(x)
    x = x[numeric + categorical]
    if not numeric and not categorical:
        raise BadTrainingData("no usable feature columns (identifiers and constant columns are left out)")
    x_train, x_test, y_train, y_test, split = _split(frame, x, y, time_column)
    model = _pipeline(numeric, categorical).fit(x_train, y_train)
    evaluation = evaluate(y_test.to_numpy(), model.predict_proba(x_test)[:, 1])
    artifact = pickle.dumps({"pipeline": model, "numeric": numeric, "categorical": categorical})
    described = TrainingSet(
        source=source,
        file=file,
        outcome=outcome,
        rows=len(y),
        positives=positives,
        negatives=negatives,
        numeric=tuple(numeric),
        categorical=tuple(categorical),
        split=split,
        held_out=len(y_test),
    )
    return Trained(artifact, hashlib.sha256(artifact).hexdigest(), described, evaluation)


def _features(x: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Numeric and categorical columns; a text column unique per row (an id, an email) and a
    column with one value teach nothing and are left out."""
    numeric, categorical = [], []
    for name in x.columns:
        column = x[name]
        if column.nunique(dropna=True) <= 1:
            continue
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            numeric.append(str(name))
        elif column.nunique(dropna=True) < 0.9 * len(column):
            categorical.append(str(name))
    return numeric, categorical


def _split(frame: pd.DataFrame, x: pd.DataFrame, y: pd.Series, time_column: str | None) -> tuple[Any, ...]:
    if time_column is not None:
        times = pd.to_datetime(frame[time_column], errors="coerce", utc=True)
        if times.notna().mean() > 0.9:
            order = times.fillna(times.min()).sort_values(kind="stable").index
            cut = int(len(order) * 0.75)
            train_i, test_i = order[:cut], order[cut:]
            if y[test_i].nunique() == 2 and y[train_i].nunique() == 2:
                return x.loc[train_i], x.loc[test_i], y[train_i], y[test_i], f"time:{time_column}"
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, stratify=y, random_state=0)
    return x_train, x_test, y_train, y_test, "random"


def _pipeline(numeric: list[str], categorical: list[str]) -> Pipeline:
    prepare = ColumnTransformer(
        [
            ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            (
                "categorical",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value="(missing)"),
                    OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=5, max_categories=50),
                ),
                categorical,
            ),
        ]
    )
    calibrated = CalibratedClassifierCV(LogisticRegression(max_iter=2000), method="sigmoid", cv=5)
    return Pipeline([("prepare", prepare), ("model", calibrated)])


def evaluate(y: np.ndarray, p: np.ndarray) -> Evaluation:
    """ROC AUC, Brier score, and a calibration table of equal-count bins with its ECE."""
    order = np.argsort(p, kind="stable")
    bins = [b for b in np.array_split(order, BINS) if len(b)]
    table = [CalibrationBin(predicted=float(p[b].mean()), observed=float(y[b].mean()), count=len(b)) for b in bins]
    ece = sum(abs(b.predicted - b.observed) * b.count for b in table) / len(y)
    return Evaluation(
        roc_auc=float(roc_auc_score(y, p)),
        brier=float(brier_score_loss(y, p)),
        ece=float(ece),
        calibration=tuple(table),
    )


def load(artifact: bytes) -> dict[str, Any]:
    """The pickled model; only ever an artifact whose checksum matched the one recorded when it
    was trained by this engine (pickle runs code: never load one from elsewhere)."""
    loaded: dict[str, Any] = pickle.loads(artifact)
    return loaded


def predict(artifact: dict[str, Any], rows: pd.DataFrame) -> np.ndarray:
    probabilities: np.ndarray = artifact["pipeline"].predict_proba(rows)[:, 1]
    return probabilities


def top_factors(artifact: dict[str, Any], rows: pd.DataFrame, *, count: int = 3) -> list[list[tuple[str, float]]]:
    """For each row, the features pushing its likelihood most (either way): coefficient times
    value of each prepared feature, averaged over the calibration folds."""
    pipeline: Pipeline = artifact["pipeline"]
    prepared = pipeline.named_steps["prepare"].transform(rows)
    values = np.asarray(prepared.todense() if hasattr(prepared, "todense") else prepared)
    coefs = np.mean([c.estimator.coef_[0] for c in pipeline.named_steps["model"].calibrated_classifiers_], axis=0)
    names = [str(n).split("__", 1)[-1] for n in pipeline.named_steps["prepare"].get_feature_names_out()]
    effects = values * coefs
    found = []
    for row in effects:
        strongest = np.argsort(-np.abs(row), kind="stable")[:count]
        found.append([(names[i], round(float(row[i]), 3)) for i in strongest if row[i]])
    return found


def describe(evaluation: Evaluation) -> str:
    """The figures a trainer prints: ROC AUC, Brier, ECE and the calibration table."""
    out = io.StringIO()
    out.write(f"ROC AUC {evaluation.roc_auc:.3f}   Brier {evaluation.brier:.4f}   ECE {evaluation.ece:.4f}\n")
    out.write("predicted  observed  leads\n")
    for b in evaluation.calibration:
        out.write(f"{b.predicted:9.3f}  {b.observed:8.3f}  {b.count:5d}\n")
    return out.getvalue()
