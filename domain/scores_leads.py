"""Scoring on the command path, and the admin commands on the scoring model.

Every save of a lead whose events are more than scores (a capture, an update, a signal, an
activity...) is scored under the published model in the same transaction, so the score a
lead's events show is always the one its facts give (``Scored`` only when score or grade
moves). A capture is scored before it is routed, so a rule on ``score`` or ``temperature``
sees it. The model is read from a cache (``LEADS_ROUTING__CACHE_S``), like the rule list: no
query per command. Until a model is published, nothing is scored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TypeVar
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from domain.base import Aggregate, DomainEvent
from domain.command_handling import MAX_EVENTS_PER_SAVE, SAVE_ATTEMPTS, CommandResult
from domain.directory_service import SYSTEM
from domain.errors import DomainError, VersionConflict
from domain.lead import Lead
from domain.lead_events import (
    Contacted,
    DetailsUpdated,
    Disqualified,
    LeadCaptured,
    Nurtured,
    Qualified,
    Reopened,
    ScoreAdjusted,
    Scored,
    SignalRecorded,
)
from domain.lifecycle import TERMINAL
from domain.likelihood import LIKELIHOOD_ID, Estimator, LikelihoodModels, TrainedModel
from domain.records import ScoreBreakdown, Signal
from domain.routes_leads import RoutesLeads
from domain.score_engine import apply_model
from domain.score_values import ScoreCause
from domain.scoring import ScoringModel
from domain.scoring_models import MODELS_ID, Rescoring, ScoringModels
from domain.values import EventMeta

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
M = TypeVar("M", ScoringModels, LikelihoodModels)


class ScoresLeads(RoutesLeads):
    clock: Clock = staticmethod(lambda: datetime.now(UTC))
    likelihood: Callable[[], Estimator | None] = staticmethod(lambda: None)
    """The active learned model (the composition root loads it; none: no likelihood)."""
    """What decay measures ages against; a test sets its own."""

    # -- reads ----------------------------------------------------------------------------------

    def scoring_models(self, *, fresh: bool = False) -> ScoringModels:
        return self._read(MODELS_ID, ScoringModels, fresh=fresh, new=lambda: ScoringModels.open(meta=SYSTEM))

    def scoring_history(self) -> list[DomainEvent]:
        return [e for e in self.events.get(MODELS_ID) if isinstance(e, DomainEvent)]

    # -- admin commands -------------------------------------------------------------------------

    def save_scoring_draft(self, *, model: ScoringModel, meta: EventMeta) -> CommandResult:
        """Checked whole (refused naming every problem), then kept as the draft."""
        return self._on_models("save_scoring_draft", meta, lambda m: m.save_draft(model=model, meta=meta))

    def publish_scoring_model(self, *, meta: EventMeta) -> CommandResult:
        """The draft becomes the next version; open leads are then re-scored in the background
        (``consumers.rescoring``)."""
        return self._on_models("publish_scoring_model", meta, lambda m: m.publish(meta=meta))

    def report_rescoring(self, *, progress: Rescoring, meta: EventMeta) -> CommandResult:
        return self._on_models("report_rescoring", meta, lambda m: m.progress(progress=progress, meta=meta))

    def likelihood_models(self) -> LikelihoodModels:
        return self._fresh(LIKELIHOOD_ID, lambda: LikelihoodModels.open(meta=SYSTEM))

    def record_likelihood_training(self, *, model: TrainedModel, meta: EventMeta) -> CommandResult:
        """A trained model's checksum, training set and evaluation (its artifact is stored apart)."""
        return self._on(
            LIKELIHOOD_ID,
            LikelihoodModels,
            "train_likelihood",
            meta,
            lambda m: m.record_training(model=model, meta=meta),
        )

    def activate_likelihood(self, *, version: int, found_checksum: str | None, meta: EventMeta) -> CommandResult:
        """``found_checksum``: of the artifact as fetched now; a mismatch is refused."""
        return self._on(
            LIKELIHOOD_ID,
            LikelihoodModels,
            "activate_likelihood",
            meta,
            lambda m: m.activate(version=version, found_checksum=found_checksum, meta=meta),
        )

    def _on_models(self, command: str, meta: EventMeta, act: Callable[[ScoringModels], None]) -> CommandResult:
        return self._on(MODELS_ID, ScoringModels, command, meta, act)

    def _on(self, key: UUID, cls: type[M], command: str, meta: EventMeta, act: Callable[[M], None]) -> CommandResult:
        def change() -> list[Aggregate]:
            found = self._fresh(key, lambda: cls.open(meta=meta))
            act(found)
            return [found]

        return self._admin(command, meta, change)

    # -- scoring --------------------------------------------------------------------------------

    def rescore(self, *, lead_id: UUID, cause: ScoreCause, meta: EventMeta, version: int | None = None) -> bool:
        """Score one lead again under the model in force (when ``version`` is given, only if
        that is still the one in force: a superseded re-scoring stops). True when its score or
        grade moved (a ``Scored``) or its temperature or stage did (a ``ScoreReclassified``);
        otherwise nothing is written. A lead that ended (converted, merged) is left as it is."""
        for attempt in range(SAVE_ATTEMPTS):
            lead = self._load(Lead, lead_id, None)
            if not self._score(lead, cause=cause, meta=meta, models=self._in_force(version)):
                return False
            try:
                self._save(f"rescore_{cause}", meta, lead, lead)
                return True
            except VersionConflict:
                if attempt == SAVE_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no mutate

    def rescore_leads(
        self, *, lead_ids: Sequence[UUID], cause: ScoreCause, meta: EventMeta, version: int | None = None
    ) -> int:
        """:meth:`rescore` for a page of leads, loaded together (``_load_page``) and saved
        together: the leads that moved go in as few saves as ``MAX_EVENTS_PER_SAVE`` allows
        (one transaction each; one event per lead), the others write nothing. A save that
        loses a race to a command on one of its leads saves nothing, and its leads are then
        re-scored one by one on fresh state. A lead not found, or refused, is left as it is.
        How many leads got an event."""
        models = self._in_force(version)
        if models is None:
            return 0
        moved: list[Lead] = []
        for lead in self._load_page(Lead, lead_ids):
            try:
                if self._score(lead, cause=cause, meta=meta, models=models):
                    moved.append(lead)
            except DomainError as e:
                log.info("re-scoring: lead %s left as it is: %s", lead.id, e)
        for start in range(0, len(moved), MAX_EVENTS_PER_SAVE):
            chunk = moved[start : start + MAX_EVENTS_PER_SAVE]
            self._before_save(chunk)
            try:
                self.save(*chunk)
            except IntegrityError:
                log.info("re-scoring: a lead of a page changed meanwhile; its %d leads one by one", len(chunk))
                for lead in chunk:
                    self.rescore(lead_id=lead.id, cause=cause, meta=meta, version=version)
                continue
            self._after_save(chunk)
        return len(moved)

    def _in_force(self, version: int | None) -> ScoringModels | None:
        """The scoring models, read fresh when a re-scoring names ``version``: None when that
        is no longer the version in force (the re-scoring was superseded)."""
        models = self.scoring_models(fresh=version is not None)
        return None if version is not None and version != models.model_version else models

    def estimate_leads(self, *, lead_ids: Sequence[UUID], meta: EventMeta) -> int:
        """Estimate these leads with the active learned model in one call, and record each
        estimate that changed (a lead ended or erased is left). How many were recorded."""
        estimator = self.likelihood()
        if estimator is None or not lead_ids:
            return 0
        leads = [self._load(Lead, i, None) for i in lead_ids]
        leads = [lead for lead in leads if lead.status not in TERMINAL and not lead.erased]
        recorded = 0
        for lead, estimate in zip(leads, estimator.estimate(leads), strict=True):
            lead.record_likelihood(estimate=estimate, version=estimator.version, meta=meta)
            if lead.pending_events:
                try:
                    self._save("estimate_likelihood", meta, lead, lead)
                    recorded += 1
                except VersionConflict:
                    log.info("likelihood: lead %s changed meanwhile; estimated at the next sweep", lead.id)
        return recorded

    def _score(self, lead: Lead, *, cause: ScoreCause, meta: EventMeta, models: ScoringModels | None = None) -> bool:
        """Under ``models`` (default: as cached) unless the lead ended, or a newer version than
        theirs already scored it (a stale cache never undoes a publication)."""
        if lead.status in TERMINAL or lead.erased or lead.deleted:
            return False
        models = models or self.scoring_models()
        model = models.current
        if model is None or (lead.score_model_version or 0) > models.model_version:
            return False
        return apply_model(lead, version=models.model_version, model=model, cause=cause, now=self.clock(), meta=meta)

    def route_lead(
        self, lead: Lead, *, meta: EventMeta, excluded: frozenset[str] | None, occasion: str | None = None
    ) -> None:
        """Scored first, so that rules on score and temperature see the lead as it is."""
        self._score(lead, cause=_cause(lead.pending_events), meta=meta)
        super().route_lead(lead, meta=meta, excluded=excluded, occasion=occasion)

    def _before_save(self, aggregates: Sequence[Aggregate]) -> None:
        """Score each lead whose save changes what a score reads (its fields or signals) since
        it was last scored in this save; a note, a call or an assignment costs nothing."""
        for lead in aggregates:
            if isinstance(lead, Lead) and _unscored_inputs(lead.pending_events):
                meta = lead.pending_events[-1].meta  # type: ignore[attr-defined]
                self._score(lead, cause=_cause(lead.pending_events), meta=meta)
            elif isinstance(lead, Lead) and _changes_what_it_shows(lead.pending_events):
                self._reclassify(lead, meta=lead.pending_events[-1].meta)  # type: ignore[attr-defined]
        super()._before_save(aggregates)

    def _reclassify(self, lead: Lead, *, meta: EventMeta) -> None:
        """A status change or a manual adjustment under the bands of a model the re-scoring has
        not reached yet (or left as they were, the lead then showing the same): the lead shows
        its temperature and stage under the model in force from this save on."""
        models = self.scoring_models()
        model = models.current
        if model is None or lead.status in TERMINAL or lead.erased or lead.deleted:
            return
        if (lead.score_model_version or 0) <= models.model_version:
            version, bands, threshold = models.model_version, model.bands, model.mql_threshold
            lead.reclassify(version=version, bands=bands, mql_threshold=threshold, meta=meta)

    def record_signal(
        self, *, lead_id: UUID, signal: Signal, meta: EventMeta, expected_version: int | None = None
    ) -> CommandResult:
        return self._change(
            "record_signal", lead_id, meta, expected_version, lambda lead: lead.record_signal(signal=signal, meta=meta)
        )

    def record_score(
        self,
        *,
        lead_id: UUID,
        breakdown: ScoreBreakdown,
        rule_version: str,
        meta: EventMeta,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._change(
            "record_score",
            lead_id,
            meta,
            expected_version,
            lambda lead: lead.record_score(breakdown=breakdown, rule_version=rule_version, meta=meta),
        )

    def adjust_score(
        self, *, lead_id: UUID, points: int, reason: str, meta: EventMeta, expected_version: int | None = None
    ) -> CommandResult:
        return self._change(
            "adjust_score",
            lead_id,
            meta,
            expected_version,
            lambda lead: lead.adjust_score(points=points, reason=reason, meta=meta),
        )


SCORE_INPUTS = (LeadCaptured, DetailsUpdated, SignalRecorded)
"""The events that change what a score reads (time aside: the decay worker follows time)."""
SHOWN_INPUTS = (ScoreAdjusted, Contacted, Qualified, Nurtured, Disqualified, Reopened)
"""The events that change the shown score or move an open lead to another status."""


def _unscored_inputs(events: Sequence[object]) -> bool:
    """Whether an input changed after the last score recorded in these events."""
    for event in reversed(events):
        if isinstance(event, Scored):
            return False
        if isinstance(event, SCORE_INPUTS):
            return True
    return False


def _changes_what_it_shows(events: Sequence[object]) -> bool:
    """Whether these events change the status or the shown score, so possibly the temperature
    or the stage."""
    return any(isinstance(e, SHOWN_INPUTS) for e in events)


def _cause(events: Sequence[object]) -> ScoreCause:
    return ScoreCause.SIGNAL if any(isinstance(e, SignalRecorded) for e in events) else ScoreCause.DETAILS
