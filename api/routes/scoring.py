"""The scoring model (draft, publish, versions) and engagement signals over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from fastapi import APIRouter

from api.auth import Action as A
from api.auth import permission
from api.deps import CommandDep, MetaDep, ServiceDep
from api.models import CommandAccepted
from api.routes.commands import accepted
from api.scoring_models import DraftPublic, ModelPublic, ModelVersion, SignalBody
from domain.records import Signal
from domain.scoring import ScoringModel
from domain.scoring_models import ScoringModels

router = APIRouter(tags=["scoring"])


@router.get("/scoring/model", response_model=ModelPublic, **permission(A.VIEW))
def get_model(service: ServiceDep) -> ModelPublic:
    """The model in force, and the progress of the re-scoring its publication started."""
    models = service.scoring_models(fresh=True)
    return ModelPublic(version=models.model_version, model=models.current, rescoring=models.rescoring)


@router.get("/scoring/model/draft", response_model=DraftPublic, **permission(A.ADMINISTER))
def get_draft(service: ServiceDep) -> DraftPublic:
    models = service.scoring_models(fresh=True)
    return DraftPublic(draft=models.draft, published_version=models.model_version)


@router.put("/scoring/model/draft", response_model=DraftPublic, **permission(A.ADMINISTER))
def save_draft(body: ScoringModel, service: ServiceDep, meta: MetaDep) -> DraftPublic:
    """Save the draft whole. It is checked first: unknown fields, operators that do not fit a
    field, criteria on the score itself, duplicate ids, a signal type scored twice, bands out
    of order, decay without days. A model with any problem is refused with 422 and `problems`
    naming each criterion, field and reason; the draft before it stays."""
    service.save_scoring_draft(model=body, meta=meta)
    return get_draft(service)


@router.post("/scoring/model/publish", response_model=ModelPublic, **permission(A.ADMINISTER))
def publish(service: ServiceDep, meta: MetaDep) -> ModelPublic:
    """The draft becomes the next version. Every open lead is then re-scored in the background
    (throttled, `LEADS_SCORING__RESCORE_PER_S`): one `scored` event, cause `model`, for each
    lead whose score or grade changes; one `score_reclassified` for each lead whose score stays
    but whose temperature or stage changes under new bands or MQL threshold; none for the
    others. `GET /scoring/model` shows how far it got."""
    service.publish_scoring_model(meta=meta)
    return get_model(service)


@router.get("/scoring/model/versions", response_model=list[ModelVersion], **permission(A.ADMINISTER))
def versions(service: ServiceDep) -> list[ModelVersion]:
    """Every published version: when, by whom, and the whole model."""
    return [
        ModelVersion(version=e.model_version, published_at=e.timestamp, published_by=e.meta.actor, model=e.model)
        for e in service.scoring_history()
        if isinstance(e, ScoringModels.Published)
    ]


@router.post("/leads/{lead_id:uuid}/signals", response_model=CommandAccepted, **permission(A.SIGNAL))
def record_signal(lead_id: UUID, body: SignalBody, cmd: CommandDep) -> CommandAccepted:
    """Record an engagement signal (what a marketing or web service saw the person do). It is
    scored in the same command under the model in force: a `scored` event, cause `signal`,
    follows when it moves the score."""
    signal = Signal(kind=body.kind, detail=body.detail, occurred_at=body.occurred_at or datetime.now(UTC))
    return accepted(
        cmd.on_lead(
            lead_id,
            A.SIGNAL,
            lambda s, meta, v: s.record_signal(lead_id=lead_id, signal=signal, meta=meta, expected_version=v),
        )
    )
