"""The scoring model as admins keep it: one draft they edit, and numbered published versions.

Like the assignment rules (``domain.assignment``), a draft is checked whole when it is saved
(:func:`~domain.scoring.model_problems`) and refused naming every problem, so publishing never
meets a bad model. Publishing makes the draft version N+1; the re-scoring of open leads that
follows reports its progress here, so any process (and a restarted one) can show and resume it.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import Field

from domain.assignment import RulesRefused
from domain.base import Aggregate
from domain.errors import InvalidCommand
from domain.routing import Problem
from domain.scoring import ScoringModel, model_problems
from domain.values import EventMeta, Frozen

MODELS_ID = uuid5(NAMESPACE_URL, "urn:leads-engine:scoring-models")


class ModelRefused(RulesRefused):
    """The model has problems; all are named, each with the field and the reason."""

    def __init__(self, found: list[Problem]) -> None:
        super().__init__(found)
        self.args = (f"{len(found)} problem(s) in the scoring model; first: {found[0].reason}",)


class Rescoring(Frozen):
    """The re-scoring that follows a publication: how far it got."""

    version: int
    total: int = Field(default=0, ge=0)
    done: int = Field(default=0, ge=0)
    changed: int = Field(default=0, ge=0)
    after: UUID | None = Field(default=None, description="The last lead visited: a restart resumes after it")
    finished: bool = False


class ScoringModels(Aggregate):
    class Opened(Aggregate.Created):
        def apply(self, models: ScoringModels) -> None:
            pass

    class DraftSaved(Aggregate.Event):
        model: ScoringModel

        def apply(self, models: ScoringModels) -> None:
            models.draft = self.model

    class Published(Aggregate.Event):
        model_version: int
        model: ScoringModel

        def apply(self, models: ScoringModels) -> None:
            models.model_version = self.model_version
            models.published[self.model_version] = self.model
            models.rescoring = Rescoring(version=self.model_version)

    class RescoreProgressed(Aggregate.Event):
        """Recorded every few thousand leads and at the end: the progress others read."""

        progress: Rescoring

        def apply(self, models: ScoringModels) -> None:
            models.rescoring = self.progress

    def __init__(self) -> None:
        self.draft: ScoringModel | None = None
        self.model_version = 0
        self.published: dict[int, ScoringModel] = {}
        self.rescoring: Rescoring | None = None

    @classmethod
    def open(cls, *, meta: EventMeta) -> ScoringModels:
        return cls._create(cls.Opened, id=MODELS_ID, meta=meta)

    @property
    def current(self) -> ScoringModel | None:
        """The model in force: the last published, or none (then leads are not scored)."""
        return self.published.get(self.model_version)

    def save_draft(self, *, model: ScoringModel, meta: EventMeta) -> None:
        found = model_problems(model)
        if found:
            raise ModelRefused(found)
        if model != self.draft:
            self.trigger_event(self.DraftSaved, model=model, meta=meta)

    def publish(self, *, meta: EventMeta) -> None:
        if self.draft is None:
            raise InvalidCommand("there is no draft to publish: PUT one first", field="draft")
        if self.draft == self.current:
            raise InvalidCommand(f"the draft is version {self.model_version} as published", field="draft")
        self.trigger_event(self.Published, model_version=self.model_version + 1, model=self.draft, meta=meta)

    def progress(self, *, progress: Rescoring, meta: EventMeta) -> None:
        """Only for the version in force: a superseded re-scoring stops reporting."""
        if progress.version == self.model_version and progress != self.rescoring:
            self.trigger_event(self.RescoreProgressed, progress=progress, meta=meta)
