"""Reports: aggregate queries over the read models (never over the event store), each over the
leads a scope covers (a manager's team's) or every lead.

Each report is one SQL statement over ``lead_list``, ``aging`` (status intervals) and
``feeds`` (the lead feed), so reports cost nothing on the write path and are as fresh as the
projections they read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.access import LeadScope
from domain.lifecycle import IN_PROGRESS
from domain.score_values import Grade, Stage
from projections.aging import BUCKETS, Aging
from projections.base import fetch_dicts
from projections.feeds import Feeds
from projections.lead_list import LeadList
from projections.lead_queries import scope_sql
from projections.routing import RESPONSE, Routing

FUNNEL = ("new", "contacted", "qualified", "converted")
PERIODS = ("day", "week", "month")


class Reports:
    def __init__(self, *, schema: str) -> None:
        self.leads = LeadList(schema=schema).table
        aging = Aging(schema=schema)
        self.ages, self.intervals = aging.aging, aging.intervals
        self.feed = Feeds(schema=schema).lead_feed
        self.routing = Routing(schema=schema).table

    def _leads(self, scope: LeadScope | None, where: str = "true") -> tuple[str, dict[str, Any]]:
        """``lead_list AS l`` narrowed to ``scope``, with ``where`` (a subquery for FROM)."""
        if scope is None:
            return f"(SELECT * FROM {self.leads} l WHERE {where}) l", {}
        clause, params = scope_sql(scope)
        return f"(SELECT * FROM {self.leads} l WHERE {where} AND {clause}) l", params

    def sources(self, cur: Any, *, scope: LeadScope | None) -> list[dict[str, Any]]:
        """Volume, conversion rate and average score by source."""
        leads, params = self._leads(scope, "l.status <> 'merged'")
        cur.execute(
            f"""
            SELECT coalesce(source, 'unknown') AS source, count(*) AS leads,
                   count(*) FILTER (WHERE status = 'converted') AS converted,
                   round(count(*) FILTER (WHERE status = 'converted')::numeric / count(*), 4)::float AS conversion_rate,
                   round(avg(score), 2)::float AS average_score
            FROM {leads} GROUP BY 1 ORDER BY leads DESC, source""",
            params,
        )
        return fetch_dicts(cur)

    def reps(self, cur: Any, *, scope: LeadScope | None) -> list[dict[str, Any]]:
        """Per owner: leads, activities logged by them, median first response, conversions."""
        leads, params = self._leads(scope, "l.owner IS NOT NULL AND l.status <> 'merged'")
        cur.execute(
            f"""
            WITH acts AS (SELECT actor, count(*) AS activities FROM {self.feed}
                          WHERE kind IN ('activity_logged', 'contacted') GROUP BY actor)
            SELECT l.owner AS rep, count(*) AS leads, coalesce(max(a.activities), 0) AS activities,
                   percentile_cont(0.5) WITHIN GROUP (
                       ORDER BY extract(epoch FROM l.first_contacted_at - l.created_at)) AS median_first_response_s,
                   count(*) FILTER (WHERE l.status = 'converted') AS conversions
            FROM {leads} LEFT JOIN acts a ON a.actor = l.owner GROUP BY l.owner ORDER BY l.owner""",
            params,
        )
        return fetch_dicts(cur)

    def funnel(self, cur: Any, *, scope: LeadScope | None) -> list[dict[str, Any]]:
        """How many leads ever reached each stage, and the rate from the stage before."""
        leads, params = self._leads(scope)
        cur.execute(
            f"""
            SELECT s.stage, count(DISTINCT i.lead_id) AS reached
            FROM unnest(%(stages)s::text[]) WITH ORDINALITY AS s(stage, n)
            LEFT JOIN ({self.intervals} i JOIN {leads} USING (lead_id)) ON i.status = s.stage
            GROUP BY s.stage, s.n ORDER BY s.n""",
            params | {"stages": list(FUNNEL)},
        )
        rows = fetch_dicts(cur)
        for before, row in zip([None, *rows], rows, strict=False):
            row["rate_from_previous"] = (
                round(row["reached"] / before["reached"], 4) if before and before["reached"] else None
            )
        return rows

    def stages(self, cur: Any, *, scope: LeadScope | None) -> list[dict[str, Any]]:
        """Leads now at each funnel stage (derived from status and score), with their average
        score and how many of each grade (fit)."""
        leads, params = self._leads(scope, "l.stage IS NOT NULL")
        cur.execute(
            f"""
            SELECT s.stage, count(l.lead_id) AS leads, round(avg(l.score), 2)::float AS average_score,
                   {", ".join(f"count(*) FILTER (WHERE l.grade = '{g}') AS grade_{g.lower()}" for g in Grade)}
            FROM unnest(%(stages)s::text[]) WITH ORDINALITY AS s(stage, n)
            LEFT JOIN {leads} ON l.stage = s.stage
            GROUP BY s.stage, s.n ORDER BY s.n""",
            params | {"stages": [stage.value for stage in Stage]},
        )
        return fetch_dicts(cur)

    def time_in_status(self, cur: Any, *, scope: LeadScope | None, now: datetime) -> list[dict[str, Any]]:
        """Average days spent in each status: finished stays, and stays still running until ``now``."""
        leads, params = self._leads(scope)
        cur.execute(
            f"""
            SELECT i.status, count(*) AS stays,
                   round((avg(extract(epoch FROM coalesce(i.left_at, %(now)s) - i.entered_at)) / 86400)::numeric,
                         3)::float AS average_days
            FROM {self.intervals} i JOIN {leads} USING (lead_id) GROUP BY i.status ORDER BY i.status""",
            params | {"now": now},
        )
        return fetch_dicts(cur)

    def volume(self, cur: Any, *, scope: LeadScope | None, period: str) -> list[dict[str, Any]]:
        """Leads created per day, week or month."""
        if period not in PERIODS:
            raise ValueError(f"period must be one of {', '.join(PERIODS)}")
        leads, params = self._leads(scope)
        cur.execute(
            f"""SELECT date_trunc(%(p)s, created_at AT TIME ZONE 'UTC')::date AS period_start, count(*) AS leads
                FROM {leads} GROUP BY 1 ORDER BY 1""",
            params | {"p": period},
        )
        return fetch_dicts(cur)

    def geography(self, cur: Any, *, scope: LeadScope | None) -> list[dict[str, Any]]:
        """Leads by country and region."""
        leads, params = self._leads(scope, "l.status <> 'merged'")
        cur.execute(
            f"""SELECT coalesce(country, 'unknown') AS country, coalesce(region, 'unknown') AS region,
                       count(*) AS leads
                FROM {leads} GROUP BY 1, 2 ORDER BY leads DESC, 1, 2""",
            params,
        )
        return fetch_dicts(cur)

    def aging(self, cur: Any, *, scope: LeadScope | None, now: datetime) -> list[dict[str, Any]]:
        """Open leads per status and age bucket (days in the current status), with how long,
        on average, since they were last worked (null when none of them ever was)."""
        cases = " ".join(
            f"WHEN days BETWEEN {low} AND {high} THEN '{label}'" if high is not None else f"ELSE '{label}'"
            for low, high, label in BUCKETS
        )
        leads, params = self._leads(scope)
        cur.execute(
            f"""
            SELECT status, CASE {cases} END AS bucket, count(*) AS leads,
                   round(avg(idle_days)::numeric, 2)::float AS average_days_since_activity FROM (
                SELECT a.status, floor(extract(epoch FROM %(now)s - a.status_since) / 86400)::int AS days,
                       extract(epoch FROM %(now)s - a.last_activity_at) / 86400 AS idle_days
                FROM {self.ages} a JOIN {leads} USING (lead_id) WHERE a.status = ANY(%(in_progress)s)) t
            GROUP BY 1, 2 ORDER BY 1, 2""",
            params | {"now": now, "in_progress": sorted(s.value for s in IN_PROGRESS)},
        )
        return fetch_dicts(cur)

    def response_times(self, cur: Any, *, scope: LeadScope | None, by: str) -> list[dict[str, Any]]:
        """Speed to lead: minutes from assignment to first contact, per ``lead``, ``rep`` (the
        owner at first contact) or ``team`` (of the rule that routed it), with how many met
        their target and how many were escalated."""
        leads, params = self._leads(scope, "l.status <> 'merged'")
        if by == "lead":
            cur.execute(
                f"""
                SELECT r.lead_id, r.owner, r.team, r.rule_id, r.strategy, r.assigned_at, r.respond_by,
                       r.contacted_at, round(({RESPONSE})::numeric, 2)::float AS response_minutes,
                       r.escalated_for IS NOT NULL AS escalated
                FROM {leads} JOIN {self.routing} r USING (lead_id)
                WHERE r.owner IS NOT NULL OR r.contacted_at IS NOT NULL
                ORDER BY r.assigned_at DESC NULLS LAST, r.lead_id LIMIT 1000""",
                params,
            )
            return fetch_dicts(cur)
        group = "r.owner" if by == "rep" else "coalesce(r.team, '(no team)')"
        cur.execute(
            f"""
            SELECT {group} AS {by}, count(*) AS leads, count(r.contacted_at) AS contacted,
                   round((percentile_cont(0.5) WITHIN GROUP (ORDER BY {RESPONSE}))::numeric, 2)::float
                       AS median_response_minutes,
                   round((percentile_cont(0.9) WITHIN GROUP (ORDER BY {RESPONSE}))::numeric, 2)::float
                       AS p90_response_minutes,
                   count(*) FILTER (WHERE r.respond_by IS NOT NULL AND r.contacted_at <= r.respond_by) AS within_target,
                   count(*) FILTER (WHERE r.escalated_for IS NOT NULL) AS escalated
            FROM {leads} JOIN {self.routing} r USING (lead_id)
            WHERE r.owner IS NOT NULL
            GROUP BY 1 ORDER BY 1""",
            params,
        )
        return fetch_dicts(cur)
