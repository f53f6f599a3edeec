"""Request bodies of lead commands, one model per command."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from domain.values import ActivityKind, BantItem, DisqualifyReason


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LeadUpdate(Body):
    """Fields to change; omitted fields stay as they are, null clears a field."""

    changes: dict[str, Any] = Field(examples=[{"company": "Analytical Engines Ltd", "job_title": "CTO"}])


class AssignBody(Body):
    owner: str = Field(min_length=1, examples=["rep-7"])


class TransferBody(Body):
    from_owner: str = Field(min_length=1, examples=["rep-leaving"])
    to_owner: str = Field(min_length=1, examples=["rep-7"])


class ContactBody(Body):
    via: str = Field(min_length=1, examples=["call"])


class ActivityBody(Body):
    kind: ActivityKind
    subject: str = Field(min_length=1, examples=["Discovery call"])
    outcome: str | None = None
    next_step: str | None = None
    due_at: datetime | None = None
    remind_at: datetime | None = None


class NoteBody(Body):
    text: str = Field(min_length=1, examples=["Wants a demo next week"])


class FollowBody(Body):
    user: str | None = Field(default=None, description="Defaults to the caller", examples=["manager-1"])


class BantBody(Body):
    changes: dict[BantItem, str | None] = Field(examples=[{"budget": "50k", "timeline": "Q3"}])


class NurtureBody(Body):
    reason: str | None = Field(default=None, examples=["Budget frozen until next year"])
    follow_up_on: date | None = Field(default=None, examples=["2027-03-01"])


class DisqualifyBody(Body):
    reason: DisqualifyReason = Field(examples=["no_budget"])
    text: str | None = Field(default=None, examples=["Chose a competitor's free tier"])


class ScoreAdjustmentBody(Body):
    points: int = Field(ge=-100, le=100, examples=[10])
    reason: str = Field(min_length=1, examples=["Referred by the CFO"])


class MergeBody(Body):
    duplicate_ids: list[UUID] = Field(min_length=1, examples=[["5f0c8e0a-6a55-4b5e-9c1e-2b7d4c3a9f10"]])
    take_fields: dict[UUID, list[str]] = Field(
        default_factory=dict,
        description="Per duplicate, its fields that win",
        examples=[{"5f0c8e0a-6a55-4b5e-9c1e-2b7d4c3a9f10": ["phone"]}],
    )


class ConvertBody(Body):
    opportunity_name: str = Field(min_length=1, examples=["Engines Ltd - 50 seats"])
    deal_value: Decimal = Field(ge=0, examples=["50000"])
    expected_close: date
    stage: str = Field(default="prospecting", pattern=r"\S")
    probability: int = Field(ge=0, le=100, examples=[40])
    account_id: UUID | None = Field(default=None, description="Attach to this existing account")
    contact_id: UUID | None = Field(default=None, description="Attach to this existing contact")
