"""Value objects and enumerations of the lead domain, validated where they are built.

Validation lives here so that an invalid command is refused before any event exists: events
only ever carry values that passed these models.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Self, TypeVar
from uuid import UUID

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from domain.errors import InvalidCommand


class LeadStatus(StrEnum):
    NEW = "new"
    CONTACTED = "contacted"
    QUALIFIED = "qualified"
    NURTURE = "nurture"
    UNQUALIFIED = "unqualified"
    CONVERTED = "converted"
    MERGED = "merged"


class LeadSource(StrEnum):
    WEBSITE = "website"
    EMAIL_CAMPAIGN = "email_campaign"
    SOCIAL_MEDIA = "social_media"
    REFERRAL = "referral"
    TRADE_SHOW = "trade_show"
    COLD_CALL = "cold_call"
    ADVERTISEMENT = "advertisement"
    DIRECT_MAIL = "direct_mail"
    WEB_FORM = "web_form"
    IMPORT = "import"
    PARTNER = "partner"
    OTHER = "other"


class Priority(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class DisqualifyReason(StrEnum):
    JUNK = "junk"
    NO_BUDGET = "no_budget"
    NO_NEED = "no_need"
    COMPETITOR = "competitor"
    UNREACHABLE = "unreachable"
    DUPLICATE = "duplicate"
    OTHER = "other"


class SignalKind(StrEnum):
    """Engagement signals other services report (marketing email, website, content)."""

    EMAIL_OPENED = "email_opened"
    EMAIL_CLICKED = "email_clicked"
    PAGE_VISITED = "page_visited"
    CONTENT_DOWNLOADED = "content_downloaded"
    FORM_SUBMITTED = "form_submitted"


class ActivityKind(StrEnum):
    CALL = "call"
    EMAIL = "email"
    MEETING = "meeting"
    NOTE = "note"
    TASK = "task"


class Channel(StrEnum):
    """Where a command came from; recorded on every event for the audit trail."""

    API = "api"
    INTAKE = "intake"
    IMPORT = "import"
    SYSTEM = "system"


class BantItem(StrEnum):
    BUDGET = "budget"
    AUTHORITY = "authority"
    NEED = "need"
    TIMELINE = "timeline"


class Temperature(StrEnum):
    COLD = "cold"
    WARM = "warm"
    HOT = "hot"

    @classmethod
    def of(cls, score: int) -> Temperature:
        """0-30 Cold, 31-69 Warm, 70-100 Hot (the product brief's bands)."""
        if score <= 30:
            return cls.COLD
        if score <= 69:
            return cls.WARM
        return cls.HOT


class Frozen(BaseModel):
    """Immutable, strict-shape base for values carried by events."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class EventMeta(Frozen):
    """Who did it, through which command, caused by what: stamped on every event."""

    actor: str = Field(min_length=1)
    channel: Channel = Channel.API
    command_id: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None


def _normalise_email(value: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as e:
        raise ValueError(f"invalid email address: {e}") from None


def _not_blank(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


Email = Annotated[str, AfterValidator(_normalise_email)]
NonBlank = Annotated[str, AfterValidator(_not_blank), Field(pattern=r"\S")]


def normalise_phone(value: str, *, region: str | None) -> str:
    """Parse a phone number (international, or national for ``region``) into E.164."""
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as e:
        raise ValueError(f"invalid phone number {value!r}: {e}") from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError(f"invalid phone number {value!r}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


class Address(Frozen):
    street: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")


CustomValue = str | int | float | bool | None


ERASED = "[erased]"
"""What a required text field reads once its personal data was erased (its key destroyed)."""


class LeadDetails(Frozen):
    """The lead's descriptive fields. Capturing or updating a lead needs a contact name and an
    email or a phone (:meth:`check_reachable`); that is a rule of those commands, not of the
    value, because an erased lead's details legitimately have neither."""

    contact_name: NonBlank
    email: Email | None = None
    phone: str | None = Field(default=None, description="Normalised to E.164; national numbers need address.country")
    company: str | None = None
    source: LeadSource | None = None
    priority: Priority = Priority.MEDIUM
    job_title: str | None = None
    industry: str | None = None
    company_size: int | None = Field(default=None, ge=1)
    annual_revenue: Decimal | None = Field(default=None, ge=0)
    address: Address | None = None
    tags: tuple[str, ...] = ()
    custom_fields: dict[str, CustomValue] = Field(default_factory=dict)
    account_id: UUID | None = Field(default=None, description="An existing account in the customer master")
    contact_id: UUID | None = Field(default=None, description="An existing contact in the customer master")

    @model_validator(mode="after")
    def _normalise_phone(self) -> Self:
        if self.phone:
            region = self.address.country if self.address else None
            object.__setattr__(self, "phone", normalise_phone(self.phone, region=region))
        return self

    @property
    def unreachable(self) -> str | None:
        """Why no one could contact this lead, or None when an email or a phone is given."""
        return None if self.email or self.phone else "an email or a phone is required"

    def check_reachable(self) -> None:
        if self.unreachable:
            raise InvalidCommand(self.unreachable, field="email")

    def with_changes(self, changes: dict[str, Any]) -> LeadDetails:
        """A validated copy with ``changes`` applied (unknown fields are refused)."""
        return LeadDetails.model_validate({**self.model_dump(mode="json"), **changes})

    def changed_fields(self, other: LeadDetails) -> dict[str, Any]:
        """The fields of ``other`` that differ from this one, as JSON values."""
        mine, theirs = self.model_dump(mode="json"), other.model_dump(mode="json")
        return {k: v for k, v in theirs.items() if mine.get(k) != v}


T = TypeVar("T")


def validated(build: Callable[[], T]) -> T:
    """Run ``build`` and turn a pydantic validation failure into :class:`InvalidCommand`."""
    try:
        return build()
    except ValidationError as e:
        first = e.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        raise InvalidCommand(f"{field}: {first['msg']}" if field else first["msg"], field=field) from None
