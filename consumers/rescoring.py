"""Background scoring: the re-scoring a publication starts, and decay.

Both visit the open leads of the lead list in id order, page by page, throttled to
``rescore_per_s`` leads a second, and re-score each on the write side (the read model only
says which leads to visit; the lead's own events decide). The leads of a page that moved are
saved together, in as few transactions as ``MAX_EVENTS_PER_SAVE`` allows. A re-scoring
records a ``Scored`` only when a lead's score or grade moves (a ``ScoreReclassified`` when only
its temperature or stage does, under new bands or MQL threshold), so a lead visited twice
(after a restart, say) gets no second event: both workers are restart-safe by construction. The re-scoring reports its
progress on the scoring model (``GET /scoring/model``) after every page and resumes after the
last lead reported; decay simply sweeps again at its next interval.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from consumers.periodic import Periodic
from domain.errors import DomainError
from domain.picklists import Channel
from domain.score_values import ScoreCause
from domain.scoring import DecayKind
from domain.scoring_models import Rescoring
from domain.service import LeadService
from domain.values import EventMeta
from projections.open_leads import OpenLeads

log = logging.getLogger(__name__)


class ScoringSettings(BaseModel):
    """Background scoring (``LEADS_SCORING__*``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rescore_per_s: float = Field(default=500.0, gt=0, description="Most leads a second a re-scoring or decay visits")
    page: int = Field(default=500, ge=1, le=10_000, description="Leads visited between two progress reports")
    rescore_check_interval_s: float = Field(default=2.0, gt=0, description="How often to look for a publication")
    decay_check_interval_s: float = Field(default=3600.0, gt=0, description="How often decay sweeps the open leads")
    likelihood_check_interval_s: float = Field(
        default=60.0, gt=0, description="How often the active learned model estimates the leads changed since"
    )


class _Sweeper(Periodic):
    cause: ScoreCause

    def __init__(
        self,
        *,
        service: LeadService,
        open_leads: OpenLeads,
        cursor: Callable[[], Any],
        settings: ScoringSettings,
        interval_s: float,
        stop: threading.Event,
    ) -> None:
        self.service = service
        self.open_leads = open_leads
        self.cursor = cursor
        self.settings = settings
        self.meta = EventMeta(actor=f"system:{self.name}", channel=Channel.SYSTEM)
        super().__init__(interval_s=interval_s, stop=stop)

    def _page(self, after: UUID | None, *, scored_only: bool = False) -> list[UUID]:
        with self.cursor() as cur:
            return self.open_leads.page(cur, after=after, limit=self.settings.page, scored_only=scored_only)

    def _visit(self, ids: list[UUID], *, version: int | None) -> int:
        """Re-score a page, its moves saved together, throttled; how many leads got an event."""
        began = time.monotonic()
        moved = self.service.rescore_leads(lead_ids=ids, cause=self.cause, meta=self.meta, version=version)
        self.stop.wait(max(0.0, len(ids) / self.settings.rescore_per_s - (time.monotonic() - began)))
        return moved


class Rescorer(_Sweeper):
    """Follows each publication: every open lead, once, under the new version."""

    name = "rescorer"
    cause = ScoreCause.MODEL

    def sweep(self, *, now: datetime) -> int:
        progress = self.service.scoring_models(fresh=True).rescoring
        if progress is None or progress.finished:
            return 0
        if progress.done == 0:
            with self.cursor() as cur:
                progress = progress.model_copy(update={"total": self.open_leads.count(cur)})
        moved = 0
        while not self.stop.is_set():
            ids = self._page(progress.after)
            changed = self._visit(ids, version=progress.version)
            moved += changed
            done = progress.done + len(ids)
            progress = progress.model_copy(
                update={
                    "done": done,
                    "total": max(progress.total, done),
                    "changed": progress.changed + changed,
                    "after": ids[-1] if ids else progress.after,
                    "finished": len(ids) < self.settings.page,
                }
            )
            self.service.report_rescoring(progress=progress, meta=self.meta)
            if progress.finished or self.service.scoring_models(fresh=True).model_version != progress.version:
                break
        return moved


class DecayMonitor(_Sweeper):
    """Sweeps the open leads with points when the model in force decays: a lead whose score
    fell by a whole point gets a ``Scored``, cause ``decay``; the others nothing."""

    name = "decay-monitor"
    cause = ScoreCause.DECAY

    def sweep(self, *, now: datetime) -> int:
        model = self.service.scoring_models(fresh=True).current
        if model is None or model.decay.kind is DecayKind.NONE:
            return 0
        after: UUID | None = None
        moved = 0
        while not self.stop.is_set():
            ids = self._page(after, scored_only=True)
            moved += self._visit(ids, version=None)
            if len(ids) < self.settings.page:
                break
            after = ids[-1]
        return moved


class LikelihoodMonitor(_Sweeper):
    """Estimates, with the active learned model, the open leads changed since its last sweep
    (all of them after a start or an activation), a page per model call: recorded only where
    an estimate changed, so a repeated sweep records nothing new."""

    name = "likelihood-monitor"
    cause = ScoreCause.MODEL

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.since: datetime | None = None
        self.version: int | None = None

    def sweep(self, *, now: datetime) -> int:
        estimator = self.service.likelihood()
        if estimator is None:
            return 0
        since = self.since if estimator.version == self.version else None
        after: UUID | None = None
        recorded = 0
        while not self.stop.is_set():
            with self.cursor() as cur:
                ids = self.open_leads.page(cur, after=after, limit=self.settings.page, changed_since=since)
            try:
                recorded += self.service.estimate_leads(lead_ids=ids, meta=self.meta)
            except DomainError as e:
                log.info("%s: a page was not estimated: %s", self.name, e)
            if len(ids) < self.settings.page:
                break
            after = ids[-1]
        self.since, self.version = now - timedelta(seconds=self.interval_s), estimator.version
        return recorded


__all__ = ["DecayMonitor", "LikelihoodMonitor", "Rescorer", "Rescoring", "ScoringSettings"]
