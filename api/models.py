"""Request and response models, one per purpose."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from domain.lead import Lead
from domain.records import Activity, Attachment, ConversionLinks, Note, Signal
from domain.values import BantItem, LeadDetails, LeadStatus, Temperature


class LeadCreate(LeadDetails):
    """A new lead: contact name and an email or a phone are required."""

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
    position: int | None = Field(default=None, description="Log position of the last event; null on an idempotent replay")
    created: dict[str, UUID] = Field(default_factory=dict, description="Ids created (conversion)")


class LeadState(BaseModel):
    """A lead rebuilt from the event store, as it was at a version or an instant."""

    lead_id: UUID
    version: int
    status: LeadStatus
    status_reason: str | None
    details: LeadDetails
    owner: str | None
    followers: list[str]
    score: int
    temperature: Temperature
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
            lead_id=lead.id, version=lead.version, status=lead.status, status_reason=lead.status_reason,
            details=lead.details, owner=lead.owner, followers=sorted(lead.followers), score=lead.score,
            temperature=lead.temperature, bant=lead.bant, first_contacted_at=lead.first_contacted_at,
            activities=lead.activities, notes=lead.notes, attachments=lead.attachments, signals=lead.signals,
            merged_into=lead.merged_into, absorbed=lead.absorbed, conversion=lead.conversion,
            modified_at=lead.modified_on,
        )  # fmt: skip


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


class TransferResult(BaseModel):
    transferred: list[UUID]


class LeadPublic(BaseModel):
    lead_id: UUID
    version: int
    contact_name: str
    email: str | None
    phone: str | None
    company: str | None
    source: str | None
    priority: str
    status: str
    owner: str | None
    score: int
    first_contacted_at: datetime | None
    created_at: datetime
    updated_at: datetime


class LeadPage(BaseModel):
    items: list[LeadPublic]
