"""Reports over the read models, for managers, admins and auditors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter

from api.auth import Action as A
from api.auth import permission
from api.deps import PrincipalDep, QueriesDep

router = APIRouter(prefix="/reports", tags=["reports"])
Rows = list[dict[str, Any]]


def run(queries: QueriesDep, principal: PrincipalDep, query: str, **kwargs: Any) -> Rows:
    """Reports count the leads the caller may export: every lead, or a manager's team's."""
    return queries.report(query, scope=principal.scope(A.EXPORT), **kwargs)


@router.get("/sources", **permission(A.EXPORT))
def sources(queries: QueriesDep, principal: PrincipalDep) -> Rows:
    """Per source: leads, converted, conversion rate, average score."""
    return run(queries, principal, "sources")


@router.get("/reps", **permission(A.EXPORT))
def reps(queries: QueriesDep, principal: PrincipalDep) -> Rows:
    """Per rep: leads owned, activities logged, median first-response time (s), conversions."""
    return run(queries, principal, "reps")


@router.get("/funnel", **permission(A.EXPORT))
def funnel(queries: QueriesDep, principal: PrincipalDep) -> Rows:
    """Leads that ever reached new, contacted, qualified, converted; rate from the stage before."""
    return run(queries, principal, "funnel")


@router.get("/stages", **permission(A.EXPORT))
def stages(queries: QueriesDep, principal: PrincipalDep) -> Rows:
    """Leads now at each stage (subscriber, lead, mql, sql, opportunity; from status and score),
    their average score and how many of each grade."""
    return run(queries, principal, "stages")


@router.get("/time-in-status", **permission(A.EXPORT))
def time_in_status(queries: QueriesDep, principal: PrincipalDep) -> Rows:
    """Average days per status, over every stay (a running stay counts until now)."""
    return run(queries, principal, "time_in_status", now=datetime.now(UTC))


@router.get("/volume", **permission(A.EXPORT))
def volume(queries: QueriesDep, principal: PrincipalDep, period: Literal["day", "week", "month"] = "day") -> Rows:
    """Leads created per day, week or month."""
    return run(queries, principal, "volume", period=period)


@router.get("/geography", **permission(A.EXPORT))
def geography(queries: QueriesDep, principal: PrincipalDep) -> Rows:
    """Leads by country and region."""
    return run(queries, principal, "geography")


@router.get("/aging", **permission(A.EXPORT))
def aging(queries: QueriesDep, principal: PrincipalDep) -> Rows:
    """Open leads per status and age bucket (0-7, 8-14, 15-30, 30+ days in the status), with the
    average days since each was last worked."""
    return run(queries, principal, "aging", now=datetime.now(UTC))


@router.get("/response-times", **permission(A.EXPORT))
def response_times(queries: QueriesDep, principal: PrincipalDep, by: Literal["lead", "rep", "team"] = "rep") -> Rows:
    """Speed to lead: minutes from assignment to first contact, per lead, rep or team, with how
    many met their rule's target and how many were escalated."""
    return run(queries, principal, "response_times", by=by)
