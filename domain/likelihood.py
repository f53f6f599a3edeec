"""Learned likelihood to convert: model versions as data, never code.

Each training is recorded with the checksum of its artifact (stored elsewhere, addressed by that
checksum), a description of its training set and its held-out evaluation. Activating a version
re-reads the artifact and compares checksums first: a corrupted or missing artifact is never
activated. Probabilities shown are kept strictly inside (0, 100): a calibrated model still says
0 or 100 for extreme inputs, and nothing about a lead is certain (Odoo's predictive scoring got
stuck at 0 and 100 until it clamped).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol
from uuid import NAMESPACE_URL, uuid5

from pydantic import Field

from domain.base import Aggregate
from domain.errors import InvalidCommand, NotFound
from domain.lead_state import LeadState
from domain.limits import ShortText
from domain.values import EventMeta, Frozen

LIKELIHOOD_ID = uuid5(NAMESPACE_URL, "urn:leads-engine:likelihood-models")
LOWEST, HIGHEST = 0.1, 99.9
"""The probability shown (per cent) never leaves these bounds."""


def shown_probability(probability: float) -> float:
    """A model's probability (0..1) as the per cent shown, strictly inside (0, 100)."""
    return round(min(HIGHEST, max(LOWEST, probability * 100)), 1)


class Factor(Frozen):
    """One feature's push on a lead's likelihood (log-odds; negative pulls it down)."""

    feature: str
    effect: float


class Estimate(Frozen):
    probability: float = Field(gt=0, lt=100, description="Per cent, strictly inside (0, 100)")
    factors: tuple[Factor, ...] = ()


class Estimator(Protocol):
    """The active model, ready to estimate (the composition root loads it from its artifact).
    It estimates many leads at once: a model's per-call overhead is far larger than its
    per-lead cost, which is why estimating is background work, not the command path's."""

    version: int

    def estimate(self, leads: Sequence[LeadState]) -> list[Estimate]: ...


class TrainingSet(Frozen):
    """What a model learned from: where, how many, which features, how it was split."""

    source: str = Field(description="`history` (this engine's converted vs disqualified leads) or `csv`")
    file: ShortText | None = None
    outcome: ShortText
    rows: int = Field(ge=0)
    positives: int = Field(ge=0)
    negatives: int = Field(ge=0)
    numeric: tuple[str, ...] = ()
    categorical: tuple[str, ...] = ()
    split: str = Field(description="`time:<column>` (the latest quarter held out) or `random` (stratified)")
    held_out: int = Field(ge=0)


class CalibrationBin(Frozen):
    predicted: float = Field(ge=0, le=1, description="Mean predicted probability in the bin")
    observed: float = Field(ge=0, le=1, description="Share that converted")
    count: int = Field(ge=0)


class Evaluation(Frozen):
    roc_auc: float
    brier: float
    ece: float = Field(description="Expected calibration error over the bins")
    calibration: tuple[CalibrationBin, ...]


class TrainedModel(Frozen):
    version: int
    checksum: str = Field(pattern=r"^[0-9a-f]{64}$")
    training_set: TrainingSet
    evaluation: Evaluation


class ArtifactCorrupted(InvalidCommand):
    """The stored artifact is missing or does not match its checksum: it is not activated."""


class LikelihoodModels(Aggregate):
    class Opened(Aggregate.Created):
        def apply(self, models: LikelihoodModels) -> None:
            pass

    class Trained(Aggregate.Event):
        model: TrainedModel

        def apply(self, models: LikelihoodModels) -> None:
            models.trained[self.model.version] = self.model

    class Activated(Aggregate.Event):
        model_version: int
        checksum: str

        def apply(self, models: LikelihoodModels) -> None:
            models.active = self.model_version

    def __init__(self) -> None:
        self.trained: dict[int, TrainedModel] = {}
        self.active: int | None = None

    @classmethod
    def open(cls, *, meta: EventMeta) -> LikelihoodModels:
        return cls._create(cls.Opened, id=LIKELIHOOD_ID, meta=meta)

    @property
    def next_version(self) -> int:
        return max(self.trained, default=0) + 1

    def record_training(self, *, model: TrainedModel, meta: EventMeta) -> None:
        if model.version != self.next_version:
            raise InvalidCommand(f"the next model is version {self.next_version}", field="version")
        self.trigger_event(self.Trained, model=model, meta=meta)

    def activate(self, *, version: int, found_checksum: str | None, meta: EventMeta) -> None:
        """``found_checksum``: the SHA-256 of the artifact as read back now (None: not found)."""
        trained = self.trained.get(version)
        if trained is None:
            raise NotFound("likelihood model version", version)
        if found_checksum != trained.checksum:
            why = "missing" if found_checksum is None else f"its checksum is {found_checksum}"
            raise ArtifactCorrupted(
                f"model {version}'s artifact is {why}, not {trained.checksum}: not activated", field="version"
            )
        if self.active != version:
            self.trigger_event(self.Activated, model_version=version, checksum=trained.checksum, meta=meta)
