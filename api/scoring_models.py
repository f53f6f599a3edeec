"""Bodies and answers of the scoring model and of signals, one per purpose."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from domain.limits import LongText
from domain.picklists import SignalKind
from domain.scoring import ScoringModel
from domain.scoring_models import Rescoring


class DraftPublic(BaseModel):
    draft: ScoringModel | None = Field(description="The model being edited; null until one is saved")
    published_version: int = Field(description="The version in force; 0: none yet, leads are not scored")


class ModelPublic(BaseModel):
    version: int = Field(description="0: no model published yet")
    model: ScoringModel | None
    rescoring: Rescoring | None = Field(
        default=None, description="The re-scoring of open leads that followed the last publication: how far it got"
    )


class ModelVersion(BaseModel):
    version: int
    published_at: datetime
    published_by: str
    model: ScoringModel


class SignalBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: SignalKind = Field(examples=["content_downloaded"])
    detail: LongText | None = Field(default=None, examples=["whitepaper-2026.pdf"])
    occurred_at: datetime | None = Field(default=None, description="Defaults to now")
