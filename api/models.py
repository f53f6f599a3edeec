"""Request and response models, one per purpose."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Self
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from domain.lead import Lead
from domain.likelihood import Factor
from domain.picklists import BantItem, LeadStatus, Temperature
from domain.records import Activity, Attachment, ConversionLinks, Note, ScoreBreakdown, Signal
from domain.score_values import Contribution, Grade, Stage
from domain.values import LeadDetails


class LeadCreate(LeadDetails):
    """A new lead: contact name and an email or a phone are required."""

    @model_validator(mode="after")
    def _reachable(self) -> Self:
        """Reported at ``email``, the field most callers give."""
        if self.unreachable:
            error = InitErrorDetails(
                type=PydanticCustomError("reachable", self.unreachable), loc=("email",), input=None
            )
            raise ValidationError.from_exception_data(type(self).__name__, [error])
        return self

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "contact_name": "Ada Lovelace",
                    "email": "ada@example.com",
                    "phone": "+44 20 7946 0958",
                    "company": "Analytical Engines Ltd",
                    "source": "web_form",
                    "priority": "high",
                }
            ]
        }
    )


class CommandAccepted(BaseModel):
    lead_id: UUID
    version: int
    position: int | None = Field(
        default=None, description="Log position of the last event; null on an idempotent replay"
    )
    created: dict[str, UUID] = Field(default_factory=dict, description="Ids created (conversion)")


class LeadBase(BaseModel):
    """What every view of one lead shows first."""

    lead_id: UUID
    version: int
    status: LeadStatus
    status_reason: str | None
    details: LeadDetails
    owner: str | None
    followers: list[str]
    erased: bool = Field(
        default=False, description="Its personal data was erased; personal fields read [erased] or null"
    )


class LeadState(LeadBase):
    """A lead rebuilt from the event store, as it was at a version or an instant."""

    score: int
    temperature: Temperature
    grade: Grade | None
    stage: Stage | None
    score_model_version: int | None = Field(description="The scoring model version that last scored it")
    contributions: list[Contribution] = Field(description="Criterion → points behind its score")
    likelihood: float | None = Field(description="Per cent likely to convert, by the active learned model")
    likelihood_model_version: int | None
    likelihood_factors: list[Factor] = Field(description="The features pushing the likelihood most (log-odds)")
    bant: dict[BantItem, str]
    first_contacted_at: datetime | None
    activities: list[Activity]
    notes: list[Note]
    attachments: list[Attachment]
    signals: list[Signal]
    merged_into: UUID | None
    absorbed: list[UUID]
    conversion: ConversionLinks | None
    modified_at: datetime

    @classmethod
    def of(cls, lead: Lead) -> LeadState:
        return cls(
            lead_id=lead.id,
            version=lead.version,
            status=lead.status,
            status_reason=lead.status_reason,
            details=lead.details,
            owner=lead.owner,
            followers=sorted(lead.followers),
            score=lead.score,
            temperature=lead.temperature,
            grade=lead.grade,
            stage=lead.stage,
            score_model_version=lead.score_model_version,
            contributions=list(lead.contributions),
            likelihood=lead.likelihood,
            likelihood_model_version=lead.likelihood_model_version,
            likelihood_factors=list(lead.likelihood_factors),
            bant=lead.bant,
            first_contacted_at=lead.first_contacted_at,
            activities=lead.activities,
            notes=lead.notes,
            attachments=lead.attachments,
            signals=lead.signals,
            merged_into=lead.merged_into,
            absorbed=lead.absorbed,
            conversion=lead.conversion,
            erased=lead.erased,
            modified_at=lead.modified_on,
        )


class HistoryEntry(BaseModel):
    """One event of a lead's history, as a compliance reviewer reads it."""

    type: str
    version: int
    time: datetime
    actor: str
    channel: str
    command_id: str | None
    correlation_id: str | None
    causation_id: str | None
    payload: dict[str, Any]


class ConversionSuggestion(BaseModel):
    account_id: UUID | None = Field(description="The company's existing account, if any")
    contact_id: UUID | None = Field(description="The person's existing contact, if any")
    matched_on: list[str] = Field(description="account_name, account_domain and/or contact_email")


class TransferRefusal(BaseModel):
    lead_id: UUID
    reason: str


class TransferResult(BaseModel):
    """Per lead: moved, or refused with the reason (each lead on its own)."""

    transferred: list[UUID]
    refused: list[TransferRefusal] = Field(default_factory=list)


class LeadPublic(BaseModel):
    """A row of a lead list (projection ``lead_list``)."""

    lead_id: UUID
    version: int
    contact_name: str
    email: str | None
    phone: str | None
    company: str | None
    industry: str | None
    country: str | None
    region: str | None
    source: str | None
    priority: str
    status: str
    owner: str | None
    score: int
    temperature: Temperature
    grade: Annotated[Grade | None, BeforeValidator(lambda v: v or None)] = Field(
        default=None, description="Fit, A to F; null until a scoring model graded the lead"
    )
    stage: Stage | None = Field(default=None, description="Funnel stage from status and score; null once merged")
    first_contacted_at: datetime | None
    last_activity_at: datetime | None
    unread: bool = Field(description="Changed by someone other than the owner since the owner last acted on it")
    created_at: datetime
    updated_at: datetime


class LeadPage(BaseModel):
    items: list[LeadPublic]
    next: str | None = Field(default=None, description="Pass as `cursor` for the next page; null on the last page")


class ScorePublic(BaseModel):
    rule: int
    adjustment: int
    shown: int
    grade: Grade | None = Field(default=None, description="Fit, A to F, kept apart from the score")
    model_version: int | None = Field(default=None, description="The scoring model version that last scored it")
    breakdown: ScoreBreakdown | None = None
    contributions: list[Contribution] = Field(default=[], description="Criterion → points (before category caps)")
    cause: str | None = Field(default=None, description="Why it last moved: details, signal, decay, model, manual")
    likelihood: float | None = Field(default=None, description="Per cent likely to convert (the learned model)")
    likelihood_model_version: int | None = None
    likelihood_factors: list[Factor] = Field(default=[], description="The features pushing the likelihood most")


class LeadDetailPublic(LeadBase):
    """The projected document of one lead (projection ``lead_detail``)."""

    activities: list[Activity]
    notes: list[Note]
    attachments: list[Attachment]
    bant: dict[BantItem, str]
    score: ScorePublic
    first_contacted_at: datetime | None
    duplicate_of: UUID | None = Field(description="The lead or contact it is flagged as a possible duplicate of")
    duplicate_of_kind: str | None = Field(default=None, description="lead or contact")
    duplicate_candidates: list[dict[str, Any]] = Field(
        default_factory=list, description="Every look-alike found when it was flagged: record_id, kind, matched_on"
    )
    not_duplicate_of: list[UUID] = Field(
        default_factory=list, description="Leads and contacts a person said it does not duplicate"
    )
    merged_into: UUID | None
    merged_into_contact: UUID | None = None
    absorbed: list[UUID]
    conversion: dict[str, Any] | None = Field(description="Opportunity, account and contact of the conversion")
    created_at: datetime
    created_by: str
    updated_at: datetime


class FeedItem(BaseModel):
    lead_id: UUID
    version: int
    kind: str
    summary: str
    actor: str
    at: datetime


class NotificationPublic(FeedItem):
    notification_id: UUID
    read: bool


class SavedView(BaseModel):
    """A named list query of one user: the same filters and sort as `GET /leads`."""

    name: str = Field(min_length=1, max_length=100, pattern=r"\S")
    filters: dict[str, str | int | bool] = Field(default_factory=dict, examples=[{"status": "new", "sort": "score"}])


class DuplicateCandidate(BaseModel):
    id: UUID = Field(description="The existing lead's or contact's id")
    kind: str = Field(description="lead or contact")
    lead_id: UUID | None = Field(description="The existing lead's id (null for a contact)")
    contact_name: str
    matched_on: list[str] = Field(description="email, phone and/or name_and_company")
