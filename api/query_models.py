"""Query-string models: what `GET /leads` accepts (also what a saved view stores)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from domain.limits import Name, ShortText
from domain.picklists import LeadSource, LeadStatus, Priority, Temperature
from domain.score_values import Grade, Stage
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
    grade: Grade | None = Field(default=None, description="Fit, A to F (any case)")
    stage: Stage | None = Field(default=None, description="subscriber, lead, mql, sql or opportunity")
    industry: ShortText | None = None
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")
    region: ShortText | None = None
    unread: Annotated[bool, BeforeValidator(not_a_number)] | None = None
    q: ShortText | None = Field(
        default=None, description="Words of the name, company or email; each matches as a prefix"
    )
    min_score: Annotated[int, BeforeValidator(not_a_bool)] | None = Field(default=None, ge=0, le=100)
    archived: Annotated[bool, BeforeValidator(not_a_number)] | None = Field(
        default=None, description="true: only archived leads (left out of lists otherwise)"
    )

    def to_filter(self) -> LeadFilter:
        values = self.model_dump(include=set(LeadFilters.model_fields) - {"q", "archived"}, mode="json")
        return LeadFilter(**values, text=self.q, archived=bool(self.archived))


Order = Literal["asc", "desc"]


class SavedViewQuery(LeadFilters):
    """What a saved view keeps: the filters of a list and how it is sorted. Unknown keys are
    refused, each named: a misspelt filter dropped in silence would save a view that shows
    more than its owner meant."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"status": "qualified", "country": "DE", "sort": "score", "order": "desc"}]},
    )

    sort: SortKey | None = Field(default=None, description="How the view is sorted unless the request says `sort`")
    order: Order | None = Field(default=None, description="The order it is sorted in unless the request says `order`")

    @model_validator(mode="before")
    @classmethod
    def _known_keys_only(cls, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = [key for key in data if key not in cls.model_fields]
            if unknown:
                accepted = ", ".join(cls.model_fields)
                errors = [
                    InitErrorDetails(
                        type=PydanticCustomError(
                            "unknown_key",
                            "is not something a saved view keeps; it keeps: {accepted}",
                            {"accepted": accepted},
                        ),
                        loc=(str(key),),
                        input=data[key],
                    )
                    for key in unknown
                ]
                raise ValidationError.from_exception_data(cls.__name__, errors)
        return data


class ListQuery(LeadFilters):
    view: SystemView | None = Field(
        default=None, description="A system view: my_leads, unread, recently_created, converted, aging"
    )
    saved: Name | None = Field(default=None, description="One of your saved views, by name")
    sort: SortKey = Field(
        default=SortKey.CREATED_AT,  # type: ignore[attr-defined]
        description="Wins over the sort of a `saved` view",
    )
    order: Order = Field(default="desc", description="Wins over the order of a `saved` view")
    cursor: str | None = Field(
        default=None, max_length=2000, pattern=r"^[A-Za-z0-9_-]+=*$", description="`next` from the previous page"
    )
    limit: int = Field(default=50, ge=1, le=500)
