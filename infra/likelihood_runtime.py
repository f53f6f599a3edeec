"""The active learned model at work: loaded from its artifact (checksum checked again) when a
version is activated, and asked for each lead the command path scores.

The features of a lead are the ones ``leads model train`` learns from on this engine's own
history (:func:`lead_features`); a model trained on another system's CSV uses those of its
columns a lead has, the others missing (the pipeline imputes them).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Sequence
from typing import Any

from domain.lead_state import LeadState
from domain.likelihood import Estimate, Factor, shown_probability
from domain.picklists import SignalKind
from infra.blobs import BlobStore


def lead_features(lead: LeadState) -> dict[str, Any]:
    d, address = lead.details, lead.details.address
    counts = {f"signals_{k.value}": 0 for k in SignalKind}
    for s in lead.signals:
        counts[f"signals_{s.kind}"] += 1
    return {
        "source": d.source,
        "industry": (d.industry or "").strip().lower() or None,
        "country": address.country if address else None,
        "priority": d.priority,
        "company_size": d.company_size,
        "annual_revenue": float(d.annual_revenue) if d.annual_revenue is not None else None,
        **counts,
    }


class SklearnEstimator:
    def __init__(self, version: int, artifact: dict[str, Any]) -> None:
        self.version = version
        self.artifact = artifact
        self.columns = [*artifact["numeric"], *artifact["categorical"]]

    def estimate(self, leads: Sequence[LeadState]) -> list[Estimate]:
        import pandas as pd

        from infra.likelihood import predict, top_factors

        rows = pd.DataFrame(
            [{c: f.get(c) for c in self.columns} for f in map(lead_features, leads)], columns=self.columns
        )
        probabilities = predict(self.artifact, rows)
        return [
            Estimate(
                probability=shown_probability(float(p)),
                factors=tuple(Factor(feature=f, effect=e) for f, e in factors),
            )
            for p, factors in zip(probabilities, top_factors(self.artifact, rows), strict=True)
        ]


class ActiveLikelihood:
    """Callable: the estimator of the active version, re-read every ``cache_s`` seconds."""

    def __init__(self, *, service: Any, blobs: BlobStore, cache_s: float) -> None:
        self.service, self.blobs, self.cache_s = service, blobs, cache_s
        self._lock = threading.Lock()
        self._checked = -float("inf")
        self._current: SklearnEstimator | None = None

    def __call__(self) -> SklearnEstimator | None:
        if time.monotonic() - self._checked < self.cache_s:
            return self._current
        with self._lock:
            models = self.service.likelihood_models()
            active = models.active
            if active is None:
                self._current = None
            elif self._current is None or self._current.version != active:
                self._current = self._load(active, models.trained[active].checksum)
            self._checked = time.monotonic()
            return self._current

    def _load(self, version: int, checksum: str) -> SklearnEstimator | None:
        from infra.likelihood import load

        stored = self.blobs.get(checksum)
        if stored is None or hashlib.sha256(stored[1]).hexdigest() != checksum:
            return None  # never use an artifact that does not match what was trained
        return SklearnEstimator(version, load(stored[1]))
