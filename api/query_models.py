"""Query-string models: what `GET /leads` accepts (also what a saved view stores)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from domain.limits import Name, ShortText
from domain.values import LeadSource, LeadStatus, Priority, Temperature
from projections.lead_queries import SORTS, SYSTEM_VIEWS, LeadFilter

SortKey = StrEnum("SortKey", {name.upper(): name for name in SORTS})  # type: ignore[misc]
SystemView = StrEnum("SystemView", {name.upper(): name for name in SYSTEM_VIEWS})  # type: ignore[misc]


def not_a_bool(value: Any) -> Any:
    """JSON's true and false are not numbers (pydantic would read them as 1 and 0)."""
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    return value


def not_a_number(value: Any) -> Any:
    """JSON's numbers are not true or false (pydantic would read 0 and 1 as such)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError("must be true or false, not a number")
    return value


class LeadFilters(BaseModel):
    """Filters of a lead list; every one optional, all of them must hold."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"status": "qualified", "country": "DE", "min_score": 70}]}
    )

    status: LeadStatus | None = None
    owner: Name | None = None
    source: LeadSource | None = None
    priority: Priority | None = None
    temperature: Temperature | None = None
    industry: ShortText | None = None
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")
    region: ShortText | None = None
    unread: Annotated[bool, BeforeValidator(not_a_number)] | None = None
    q: ShortText | None = Field(
        default=None, description="Words of the name, company or email; each matches as a prefix"
    )
    min_score: Annotated[int, BeforeValidator(not_a_bool)] | None = Field(default=None, ge=0, le=100)

    def to_filter(self) -> LeadFilter:
        values = self.model_dump(include=set(LeadFilters.model_fields) - {"q"}, mode="json")
        return LeadFilter(**values, text=self.q)


class ListQuery(LeadFilters):
    view: SystemView | None = Field(
        default=None, description="A system view: my_leads, unread, recently_created, converted, aging"
    )
    saved: Name | None = Field(default=None, description="One of your saved views, by name")
    sort: SortKey = SortKey.CREATED_AT  # type: ignore[attr-defined]
    order: Literal["asc", "desc"] = "desc"
    cursor: str | None = Field(
        default=None, max_length=2000, pattern=r"^[A-Za-z0-9_-]+=*$", description="`next` from the previous page"
    )
    limit: int = Field(default=50, ge=1, le=500)
