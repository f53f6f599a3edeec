"""How large anything the engine accepts may be: text, lists, maps, files, requests, messages.

One set of limits for every entrance (HTTP JSON, web forms, intake, attachments, imports), with
safe defaults; the operator sets them through ``LEADS_LIMITS__*`` (``infra.settings``), and the
composition root installs them with :func:`configure` before anything is served. Fields carry
them as annotations (:class:`Text`, :class:`Items`), which validate against the limits in force
and show them as ``maxLength``/``maxItems`` in the published JSON Schemas, so a value over a
limit is refused where it enters, naming the field and the limit, and never reaches an event.

Text must also be storable: no NUL character and no lone surrogate, which PostgreSQL and UTF-8
cannot hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

INDEXED_TEXT_MAX = 500
"""Ceiling of the limits on text the read models index (names, emails, companies...): 500
characters of up to 4 bytes each stay well inside a PostgreSQL btree entry (2,704 bytes)."""


class Limits(BaseModel):
    """Every limit, with its default. Lengths count characters; sizes count bytes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: int = Field(default=200, ge=1, le=INDEXED_TEXT_MAX, description="Names: contact, owner, user, actor")
    email: int = Field(default=254, ge=6, le=320, description="An email address (RFC 5321 allows 254)")
    phone: int = Field(default=40, ge=8, le=100, description="A phone number as written")
    short_text: int = Field(
        default=200,
        ge=1,
        le=INDEXED_TEXT_MAX,
        description="One-line text: company, job title, industry, address parts, subjects, file names",
    )
    long_text: int = Field(
        default=20_000, ge=1, le=1_000_000, description="Free text: notes, outcomes, reasons, BANT answers"
    )
    tags: int = Field(default=50, ge=0, le=1_000, description="Tags on one lead")
    tag: int = Field(default=64, ge=1, le=INDEXED_TEXT_MAX, description="One tag")
    custom_fields: int = Field(default=50, ge=0, le=1_000, description="Custom fields on one lead")
    custom_field_key: int = Field(default=64, ge=1, le=INDEXED_TEXT_MAX, description="A custom field's name")
    custom_field_value: int = Field(default=5_000, ge=1, le=1_000_000, description="A custom field's text value")
    list_items: int = Field(
        default=1_000, ge=1, le=100_000, description="Ids in one request: merge duplicates, transfers, bulk selections"
    )
    routing_rules: int = Field(default=500, ge=1, le=10_000, description="Assignment rules in the published list")
    rule_conditions: int = Field(default=20, ge=1, le=1_000, description="Conditions of one assignment rule")
    attachments_per_lead: int = Field(default=100, ge=0, le=10_000, description="Files attached to one lead")
    attachment_bytes: int = Field(default=10 * 1024 * 1024, ge=1, description="One attached file")
    request_bytes: int = Field(default=1024 * 1024, ge=1024, description="The body of one JSON request")
    form_bytes: int = Field(default=64 * 1024, ge=1024, description="The body of one web form post")
    header_chars: int = Field(
        default=200, ge=16, le=8_000, description="A header the engine reads: Idempotency-Key, If-Match, X-Request-Id"
    )
    intake_message_bytes: int = Field(
        default=256 * 1024, ge=1024, description="One intake message from Kafka (value and headers)"
    )
    import_bytes: int = Field(default=512 * 1024 * 1024, ge=1024, description="One file to import (CSV or XLSX)")
    import_rows: int = Field(
        default=1_000_000, ge=1, le=100_000_000, description="Rows of one file to import (a file with more is refused)"
    )
    bulk_items: int = Field(
        default=100_000, ge=1, le=10_000_000, description="Leads one mass action selects (by ids or a filter)"
    )
    export_rows: int = Field(default=1_000_000, ge=1, le=100_000_000, description="Rows of one export")
    event_bytes: int = Field(
        default=2 * 1024 * 1024,
        ge=64 * 1024,
        le=64 * 1024 * 1024,
        description="One recorded event as stored and published (a merge carries the duplicates' activities and "
        "notes); the events topic is created to take messages this large",
    )


_limits = Limits()


def current() -> Limits:
    """The limits in force."""
    return _limits


def configure(limits: Limits) -> None:
    """Install the operator's limits (the composition root does, before serving)."""
    global _limits
    _limits = limits


TRUSTED = {"trusted": True}
"""Validation context for values read back from the store or a read model: they passed the
limits in force when they entered, and a limit lowered since must not make history unreadable."""


def _trusted(info: core_schema.ValidationInfo) -> bool:
    return bool(info.context and info.context.get("trusted"))


def unstorable(text: str) -> str | None:
    """Why ``text`` cannot be stored, or None."""
    if "\x00" in text:
        return "must not contain NUL (0x00) characters"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode (it holds a lone surrogate)"
    return None


def check_text(value: str, limit: str, *, blank: bool = True) -> str:
    """``value`` if it is storable and within the limit called ``limit`` (stripped, and refused
    when empty, unless ``blank``); else a validation error."""
    problem = unstorable(value)
    if problem:
        raise PydanticCustomError("unstorable_text", problem)
    if not blank:
        value = value.strip()
        if not value:
            raise PydanticCustomError("blank", "must not be blank")
    most = getattr(_limits, limit)
    if len(value) > most:
        raise PydanticCustomError(
            "too_long",
            "must be at most {limit} characters (it has {length})",
            {"limit": most, "length": len(value)},
        )
    return value


@dataclass(frozen=True)
class Text:
    """Annotation: a string held to the limit called ``limit`` and storable; with ``blank=False``
    stripped and never empty. Its JSON Schema says all of it (``format`` adds a format)."""

    limit: str
    blank: bool = True
    format: str | None = None

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.with_info_after_validator_function(
            lambda v, info: v if _trusted(info) else check_text(v, self.limit, blank=self.blank), handler(source)
        )

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["maxLength"] = getattr(_limits, self.limit)
        if self.blank:
            json_schema["pattern"] = "^[^\\u0000]*$"
        else:
            json_schema |= {"minLength": 1, "pattern": "^[^\\u0000]*\\S[^\\u0000]*$"}
        if self.format:
            json_schema["format"] = self.format
        return json_schema


@dataclass(frozen=True)
class Items:
    """Annotation: a list (or a map) of at most the limit called ``limit`` entries."""

    limit: str

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.with_info_after_validator_function(self._check, handler(source))

    def _check(self, value: Any, info: core_schema.ValidationInfo) -> Any:
        if _trusted(info):
            return value
        most = getattr(_limits, self.limit)
        if len(value) > most:
            raise PydanticCustomError(
                "too_many", "must have at most {limit} entries (it has {count})", {"limit": most, "count": len(value)}
            )
        return value

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        key = "maxProperties" if json_schema.get("type") == "object" else "maxItems"
        json_schema[key] = getattr(_limits, self.limit)
        return json_schema


JSON_SAFE_INT = 2**53 - 1
"""The largest integer every JSON reader keeps exact."""


@dataclass(frozen=True)
class CustomValueRules:
    """Annotation of a custom field's value: text (held to ``custom_field_value``), a whole number
    every JSON reader keeps exact, a finite number, true, false or null. Each kind is taken as it
    came: a text over its limit is refused, never read as a number instead."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.with_info_plain_validator_function(self._check)

    @staticmethod
    def _check(value: Any, info: core_schema.ValidationInfo) -> Any:
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str):
            return value if _trusted(info) else check_text(value, "custom_field_value")
        if isinstance(value, int):
            if not -JSON_SAFE_INT <= value <= JSON_SAFE_INT:
                raise PydanticCustomError("too_big", "must be between -(2^53-1) and 2^53-1")
            return value
        if isinstance(value, float):
            if value != value or value in (float("inf"), float("-inf")):
                raise PydanticCustomError("not_finite", "must be a finite number")
            return value
        raise PydanticCustomError("custom_value", "must be text, a number, true, false or null")

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "anyOf": [
                {"type": "string", "maxLength": _limits.custom_field_value, "pattern": "^[^\\u0000]*$"},
                {"type": "integer", "minimum": -JSON_SAFE_INT, "maximum": JSON_SAFE_INT},
                {"type": "number"},
                {"type": "boolean"},
                {"type": "null"},
            ]
        }


Name = Annotated[str, Text("name")]
ShortText = Annotated[str, Text("short_text")]
LongText = Annotated[str, Text("long_text")]
HeaderText = Annotated[str, Text("header_chars")]
