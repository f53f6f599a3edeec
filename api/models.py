"""Request and response models, one per purpose."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from domain.values import LeadDetails


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
    position: int | None = None
    """Log position of the command's last event; ``None`` when an idempotent replay."""


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
