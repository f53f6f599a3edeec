"""Request bodies of lead commands, one model per command. Every text and list is held to the
limits in ``domain.limits``, so an oversized value is a 422 naming the field and the limit."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, cast
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, create_model

from domain.limits import Items, LongText, Name
from domain.picklists import ActivityKind, BantItem, DisqualifyReason
from domain.values import LeadDetails, NonBlankLong, NonBlankName, NonBlankShort

Ids = Annotated[list[UUID], Items("list_items")]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _every_field_optional(model: type[BaseModel]) -> type[BaseModel]:
    """``model``'s fields, each optional, with their constraints: a partial update of it."""
    fields: dict[str, Any] = {
        name: (
            cast(Any, Annotated[(f.annotation, *f.metadata)] if f.metadata else f.annotation) | None,
            Field(default=None, description=f.description),
        )
        for name, f in model.model_fields.items()
    }
    return create_model(f"{model.__name__}Changes", __config__=ConfigDict(extra="forbid"), **fields)


LeadChanges = _every_field_optional(LeadDetails)


class LeadUpdate(Body):
    """Fields to change; omitted fields stay as they are, null clears a field."""

    changes: LeadChanges = Field(  # type: ignore[valid-type]
        examples=[{"company": "Analytical Engines Ltd", "job_title": "CTO"}]
    )

    def given(self) -> dict[str, Any]:
        """The fields the caller set (null included), as JSON values."""
        given: dict[str, Any] = cast(BaseModel, self.changes).model_dump(mode="json", exclude_unset=True)
        return given


class AssignBody(Body):
    owner: NonBlankName = Field(examples=["rep-7"])


class TransferBody(Body):
    from_owner: NonBlankName = Field(examples=["rep-leaving"])
    to_owner: NonBlankName = Field(examples=["rep-7"])
    lead_ids: Ids | None = Field(
        default=None, description="Only these leads (each still moves only if from_owner owns it); default: all open"
    )


class ContactBody(Body):
    via: NonBlankShort = Field(examples=["call"])


class ActivityBody(Body):
    kind: ActivityKind
    subject: NonBlankShort = Field(examples=["Discovery call"])
    outcome: LongText | None = None
    next_step: LongText | None = None
    due_at: datetime | None = None
    remind_at: datetime | None = None


class NoteBody(Body):
    text: NonBlankLong = Field(examples=["Wants a demo next week"])


class FollowBody(Body):
    user: Name | None = Field(default=None, description="Defaults to the caller", examples=["manager-1"])


class BantBody(Body):
    changes: dict[BantItem, LongText | None] = Field(examples=[{"budget": "50k", "timeline": "Q3"}])


class NurtureBody(Body):
    reason: LongText | None = Field(default=None, examples=["Budget frozen until next year"])
    follow_up_on: date | None = Field(default=None, examples=["2027-03-01"])


class DisqualifyBody(Body):
    reason: DisqualifyReason = Field(examples=["no_budget"])
    text: LongText | None = Field(default=None, examples=["Chose a competitor's free tier"])


class ScoreAdjustmentBody(Body):
    points: int = Field(ge=-100, le=100, examples=[10], json_schema_extra={"not": {"const": 0}})
    reason: NonBlankLong = Field(examples=["Referred by the CFO"])


class MergeBody(Body):
    duplicate_ids: Ids = Field(min_length=1, examples=[["5f0c8e0a-6a55-4b5e-9c1e-2b7d4c3a9f10"]])
    take_fields: Annotated[
        dict[UUID, Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=32)]], Items("list_items")
    ] = Field(
        default_factory=dict,
        description="Per duplicate, its fields that win",
        examples=[{"5f0c8e0a-6a55-4b5e-9c1e-2b7d4c3a9f10": ["phone"]}],
    )


class NotDuplicateBody(Body):
    of_id: UUID = Field(
        description="The lead or contact it was flagged as a duplicate of",
        examples=["5f0c8e0a-6a55-4b5e-9c1e-2b7d4c3a9f10"],
    )


class MergeIntoContactBody(Body):
    contact_id: UUID = Field(
        description="The customer-master contact the lead duplicates", examples=["5f0c8e0a-6a55-4b5e-9c1e-2b7d4c3a9f10"]
    )


class ConvertBody(Body):
    opportunity: bool = Field(
        default=True,
        strict=True,
        description="Open an opportunity (false: the lead becomes an account and contact only)",
    )
    opportunity_name: NonBlankShort | None = Field(default=None, examples=["Engines Ltd - 50 seats"])
    deal_value: Decimal | None = Field(
        default=None, ge=0, le=Decimal("1e15"), max_digits=20, decimal_places=2, examples=["50000"]
    )
    expected_close: date | None = None
    stage: NonBlankShort = "prospecting"
    probability: int | None = Field(default=None, ge=0, le=100, strict=True, examples=[40])
    account_id: UUID | None = Field(
        default=None, description="Attach to this existing account (default: the company's, if it has one)"
    )
    contact_id: UUID | None = Field(
        default=None, description="Attach to this existing contact (default: the person's, found by email)"
    )
    new_account: bool = Field(default=False, description="Make a new account even if the company has one")
    new_contact: bool = Field(default=False, description="Make a new contact even if the person has one")
