"""The lead domain's picklists: the closed sets of values a lead's fields and events take (status,
source, priority, reasons, kinds, strategies), each read as people write it (``"Trade Show"``
is ``trade_show``) and refused naming the allowed values otherwise."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from pydantic import (
    GetCoreSchemaHandler,
    ValidatorFunctionWrapHandler,
)
from pydantic_core import PydanticCustomError, core_schema


def picklist_key(text: str) -> str:
    """The canonical spelling of a picklist value as people write it: ``"Trade Show"``,
    ``"trade-show"`` and ``"TRADE_SHOW"`` all read ``"trade_show"``."""
    return re.sub(r"[\s_-]+", "_", text.strip()).lower()


class Picklist(StrEnum):
    """A closed list of values that people type: any case, and spaces or dashes for the
    underscores, is read as the canonical value (the product brief itself writes ``Website``),
    while events, read models and the published JSON Schemas only ever hold the canonical,
    lowercase value. Every field typed with a subclass gets this, at every entrance (JSON
    bodies, query strings, forms, intake messages), because the rule lives on the type."""

    @classmethod
    def _missing_(cls, value: object) -> Picklist | None:
        if isinstance(value, str):
            key = picklist_key(value)
            return next((member for member in cls if member.value == key), None)
        return None

    @classmethod
    def accepted(cls) -> str:
        return ", ".join(member.value for member in cls)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        """The enum's own schema (so its JSON Schema stays the canonical ``enum``), after a step
        that reads a written variant as its member and refuses an unknown one listing them all."""

        def read(value: Any, enum: ValidatorFunctionWrapHandler) -> Any:
            if isinstance(value, str) and not isinstance(value, cls):
                try:
                    value = cls(value)
                except ValueError:
                    raise PydanticCustomError(
                        "picklist",
                        "must be one of: {accepted} (any case; spaces or dashes may stand for underscores)",
                        {"accepted": cls.accepted()},
                    ) from None
            return enum(value)

        return core_schema.no_info_wrap_validator_function(read, handler(source))


class LeadStatus(Picklist):
    NEW = "new"
    CONTACTED = "contacted"
    QUALIFIED = "qualified"
    NURTURE = "nurture"
    UNQUALIFIED = "unqualified"
    CONVERTED = "converted"
    MERGED = "merged"


class LeadSource(Picklist):
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


class Priority(Picklist):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class DisqualifyReason(Picklist):
    JUNK = "junk"
    NO_BUDGET = "no_budget"
    NO_NEED = "no_need"
    COMPETITOR = "competitor"
    UNREACHABLE = "unreachable"
    DUPLICATE = "duplicate"
    OTHER = "other"


class SignalKind(Picklist):
    """Engagement signals other services report (marketing email, website, content)."""

    EMAIL_OPENED = "email_opened"
    EMAIL_CLICKED = "email_clicked"
    PAGE_VISITED = "page_visited"
    CONTENT_DOWNLOADED = "content_downloaded"
    FORM_SUBMITTED = "form_submitted"
    WEBINAR_ATTENDED = "webinar_attended"


class ActivityKind(Picklist):
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


class BantItem(Picklist):
    BUDGET = "budget"
    AUTHORITY = "authority"
    NEED = "need"
    TIMELINE = "timeline"


class Temperature(Picklist):
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


class Strategy(Picklist):
    """How an owner (or queue) was chosen: the "why" on the lead and in its history."""

    MANUAL = "manual"
    USER = "user"
    ROUND_ROBIN = "round_robin"
    LOAD_BALANCE = "load_balance"
    QUEUE = "queue"
    CREATOR = "creator"
    FALLBACK = "fallback"
    CLAIM = "claim"


ROUTED = frozenset({Strategy.USER, Strategy.ROUND_ROBIN, Strategy.LOAD_BALANCE})
"""Strategies where the rules chose a person: capacity and availability bind them."""
