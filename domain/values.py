"""Value objects of the lead domain, validated where they are built (the picklists, closed
sets of values, are in ``domain.picklists``).

Validation lives here so that an invalid command is refused before any event exists: events
only ever carry values that passed these models.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Self, TypeVar
from urllib.parse import quote
from uuid import UUID

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import InitErrorDetails, PydanticCustomError

from domain import phone_region
from domain.errors import InvalidCommand
from domain.limits import TRUSTED, CustomValueRules, HeaderText, Items, Name, ShortText, Text
from domain.picklists import Channel, LeadSource, Priority


class Frozen(BaseModel):
    """Immutable, strict-shape base for values carried by events."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class EventMeta(Frozen):
    """Who did it, through which command, caused by what: stamped on every event."""

    actor: Name = Field(min_length=1)
    channel: Channel = Channel.API
    command_id: str | None = None
    correlation_id: HeaderText | None = None
    causation_id: HeaderText | None = None
    traceparent: SkipJsonSchema[str | None] = None
    """The W3C trace context of the request that caused the event, when tracing is on: stored
    with the event so the relay and projections continue its trace; never published in the
    payload (the relay sends it as the ``traceparent`` header)."""
    request_fingerprint: SkipJsonSchema[str | None] = Field(default=None, exclude=True)
    """What the command's request was (method, path, body hashed), so a reused idempotency key
    with another request is refused rather than answered with the first result. Kept in the
    command's idempotency record, never in its events."""

    @model_serializer(mode="wrap")
    def _without_empty_trace(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """No ``traceparent`` key at all when tracing is off: events stay as they were."""
        data: dict[str, Any] = handler(self)
        if data.get("traceparent", "") is None:
            del data["traceparent"]
        return data


def scoped_command_id(scope: str, key: str) -> str:
    """A command id from a caller's idempotency key, scoped to the caller (a user, a form, a
    publishing service) without ambiguity: the scope is percent-encoded, so the first ``/``
    ends it and no two (scope, key) pairs make the same id."""
    return f"{quote(scope, safe='')}/{key}"


def _normalise_email(value: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as e:
        raise ValueError(f"invalid email address: {e}") from None


Email = Annotated[str, Text("email", format="email"), AfterValidator(_normalise_email)]
NonBlankName = Annotated[str, Text("name", blank=False)]
NonBlankShort = Annotated[str, Text("short_text", blank=False)]
NonBlankLong = Annotated[str, Text("long_text", blank=False)]


PHONE_HELP = "write it in international form (+44 20 7946 0958), or give address.country for a national number"


def normalise_phone(value: str, *, region: str | None) -> str:
    """Parse a phone number into E.164: international, or national for ``region`` (the lead's
    country), or else for the operator's default region (:mod:`domain.phone_region`)."""
    region = region or phone_region.current()
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise ValueError(f"is not a phone number; {PHONE_HELP}") from None
    if not phonenumbers.is_valid_number(parsed):
        where = f" in {region}" if region else ""
        raise ValueError(f"is not a valid phone number{where}; {PHONE_HELP}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


class Address(Frozen):
    street: ShortText | None = None
    city: ShortText | None = None
    region: ShortText | None = None
    postal_code: ShortText | None = None
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")


CustomValue = Annotated[str | int | float | bool | None, CustomValueRules()]
CustomFields = Annotated[dict[Annotated[str, Text("custom_field_key")], CustomValue], Items("custom_fields")]
Tags = Annotated[tuple[Annotated[str, Text("tag")], ...], Items("tags")]


ERASED = "[erased]"
"""What a required text field reads once its personal data was erased (its key destroyed)."""


class LeadDetails(Frozen):
    """The lead's descriptive fields. Capturing or updating a lead needs a contact name and an
    email or a phone (:meth:`check_reachable`); that is a rule of those commands, not of the
    value, because an erased lead's details legitimately have neither."""

    contact_name: NonBlankName
    email: Email | None = None
    phone: Annotated[str, Text("phone")] | None = Field(
        default=None,
        description="Normalised to E.164; a national number is read in address.country, or else in the "
        "engine's default phone region",
    )
    company: ShortText | None = None
    source: LeadSource | None = None
    priority: Priority = Priority.MEDIUM
    job_title: ShortText | None = None
    industry: ShortText | None = None
    company_size: int | None = Field(default=None, ge=1, le=100_000_000)
    annual_revenue: Decimal | None = Field(default=None, ge=0, le=Decimal("1e15"), max_digits=20, decimal_places=2)
    address: Address | None = None
    tags: Tags = ()
    custom_fields: CustomFields = Field(default_factory=dict)
    account_id: UUID | None = Field(default=None, description="An existing account in the customer master")
    contact_id: UUID | None = Field(default=None, description="An existing contact in the customer master")

    @model_validator(mode="after")
    def _normalise_phone(self) -> Self:
        """The phone needs the address's country, so it is read once the model is; a bad one is
        still reported at ``phone``."""
        if self.phone:
            region = self.address.country if self.address else None
            try:
                normalised = normalise_phone(self.phone, region=region)
            except ValueError as e:
                error = InitErrorDetails(type=PydanticCustomError("phone", str(e)), loc=("phone",), input=self.phone)
                raise ValidationError.from_exception_data(type(self).__name__, [error]) from None
            object.__setattr__(self, "phone", normalised)
        return self

    @property
    def unreachable(self) -> str | None:
        """Why no one could contact this lead, or None when an email or a phone is given."""
        return None if self.email or self.phone else "an email or a phone is required"

    def check_reachable(self) -> None:
        if self.unreachable:
            raise InvalidCommand(self.unreachable, field="email")

    def with_changes(self, changes: dict[str, Any], *, trusted: bool = False) -> LeadDetails:
        """A validated copy with ``changes`` applied (unknown fields are refused). ``trusted``:
        the changes were recorded before (replaying an event), so today's limits do not apply."""
        return LeadDetails.model_validate(
            {**self.model_dump(mode="json"), **changes}, context=TRUSTED if trusted else None
        )

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
