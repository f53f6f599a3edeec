"""Reports over the read models, for managers, admins and auditors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter

from api.auth import Permission as P
from api.deps import EngineDep, PrincipalDep
from projections.reports import Reports

router = APIRouter(prefix="/reports", tags=["reports"])
Rows = list[dict[str, Any]]


def run(engine: EngineDep, principal: PrincipalDep, query: str, **kwargs: Any) -> Rows:
    """Reports span every lead, so they need the export permission (not granted to reps)."""
    principal.require(P.EXPORT)
    with engine.db.cursor() as cur:
        rows: Rows = getattr(Reports(schema=engine.settings.read_schema), query)(cur, **kwargs)
    return rows


@router.get("/sources")
def sources(engine: EngineDep, principal: PrincipalDep) -> Rows:
    """Per source: leads, converted, conversion rate, average score."""
    return run(engine, principal, "sources")


@router.get("/reps")
def reps(engine: EngineDep, principal: PrincipalDep) -> Rows:
    """Per rep: leads owned, activities logged, median first-response time (s), conversions."""
    return run(engine, principal, "reps")


@router.get("/funnel")
def funnel(engine: EngineDep, principal: PrincipalDep) -> Rows:
    """Leads that ever reached new, contacted, qualified, converted; rate from the stage before."""
    return run(engine, principal, "funnel")


@router.get("/time-in-status")
def time_in_status(engine: EngineDep, principal: PrincipalDep) -> Rows:
    """Average days per status, over every stay (a running stay counts until now)."""
    return run(engine, principal, "time_in_status", now=datetime.now(UTC))


@router.get("/volume")
def volume(engine: EngineDep, principal: PrincipalDep, period: Literal["day", "week", "month"] = "day") -> Rows:
    """Leads created per day, week or month."""
    return run(engine, principal, "volume", period=period)


@router.get("/geography")
def geography(engine: EngineDep, principal: PrincipalDep) -> Rows:
    """Leads by country and region."""
    return run(engine, principal, "geography")


@router.get("/aging")
def aging(engine: EngineDep, principal: PrincipalDep) -> Rows:
    """Open leads per status and age bucket (0-7, 8-14, 15-30, 30+ days in the status), with the
    average days since each was last worked."""
    return run(engine, principal, "aging", now=datetime.now(UTC))
