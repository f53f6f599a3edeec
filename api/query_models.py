"""Query-string models: what `GET /leads` accepts (also what a saved view stores)."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.base import contains_nul
from domain.values import LeadSource, LeadStatus, Priority, Temperature
from projections.lead_queries import SORTS, SYSTEM_VIEWS, LeadFilter

SortKey = StrEnum("SortKey", {name.upper(): name for name in SORTS})  # type: ignore[misc]
SystemView = StrEnum("SystemView", {name.upper(): name for name in SYSTEM_VIEWS})  # type: ignore[misc]


class LeadFilters(BaseModel):
    """Filters of a lead list; every one optional, all of them must hold."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"status": "qualified", "country": "DE", "min_score": 70}]}
    )

    status: LeadStatus | None = None
    owner: str | None = Field(default=None, max_length=200)
    source: LeadSource | None = None
    priority: Priority | None = None
    temperature: Temperature | None = None
    industry: str | None = Field(default=None, max_length=200)
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")
    region: str | None = Field(default=None, max_length=200)
    unread: bool | None = None
    q: str | None = Field(
        default=None, max_length=200, description="Words of the name, company or email; each matches as a prefix"
    )
    min_score: int | None = Field(default=None, ge=0, le=100)

    @model_validator(mode="after")
    def _no_nul(self) -> Self:
        if contains_nul(self.model_dump()):
            raise ValueError("text must not contain NUL (0x00) characters")
        return self

    def to_filter(self) -> LeadFilter:
        values = self.model_dump(include=set(LeadFilters.model_fields) - {"q"}, mode="json")
        return LeadFilter(**values, text=self.q)


class ListQuery(LeadFilters):
    view: SystemView | None = Field(
        default=None, description="A system view: my_leads, unread, recently_created, converted, aging"
    )
    saved: str | None = Field(default=None, max_length=100, description="One of your saved views, by name")
    sort: SortKey = SortKey.CREATED_AT  # type: ignore[attr-defined]
    order: Literal["asc", "desc"] = "desc"
    cursor: str | None = Field(default=None, max_length=1000, description="`next` from the previous page")
    limit: int = Field(default=50, ge=1, le=500)
