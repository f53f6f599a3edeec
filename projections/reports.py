"""Reports: aggregate queries over the read models (never over the event store).

Each report is one SQL statement over ``lead_list``, ``aging`` (status intervals) and
``feeds`` (the lead feed), so reports cost nothing on the write path and are as fresh as the
projections they read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.lifecycle import IN_PROGRESS
from projections.aging import BUCKETS, Aging
from projections.base import fetch_dicts
from projections.feeds import Feeds
from projections.lead_list import LeadList

FUNNEL = ("new", "contacted", "qualified", "converted")
PERIODS = ("day", "week", "month")


class Reports:
    def __init__(self, *, schema: str) -> None:
        self.leads = LeadList(schema=schema).table
        aging = Aging(schema=schema)
        self.ages, self.intervals = aging.aging, aging.intervals
        self.feed = Feeds(schema=schema).lead_feed

    def sources(self, cur: Any) -> list[dict[str, Any]]:
        """Volume, conversion rate and average score by source."""
        cur.execute(f"""
            SELECT coalesce(source, 'unknown') AS source, count(*) AS leads,
                   count(*) FILTER (WHERE status = 'converted') AS converted,
                   round(count(*) FILTER (WHERE status = 'converted')::numeric / count(*), 4)::float AS conversion_rate,
                   round(avg(score), 2)::float AS average_score
            FROM {self.leads} WHERE status <> 'merged' GROUP BY 1 ORDER BY leads DESC, source""")
        return fetch_dicts(cur)

    def reps(self, cur: Any) -> list[dict[str, Any]]:
        """Per owner: leads, activities logged by them, median first response, conversions."""
        cur.execute(f"""
            WITH acts AS (SELECT actor, count(*) AS activities FROM {self.feed}
                          WHERE kind IN ('activity_logged', 'contacted') GROUP BY actor)
            SELECT l.owner AS rep, count(*) AS leads, coalesce(max(a.activities), 0) AS activities,
                   percentile_cont(0.5) WITHIN GROUP (
                       ORDER BY extract(epoch FROM l.first_contacted_at - l.created_at)) AS median_first_response_s,
                   count(*) FILTER (WHERE l.status = 'converted') AS conversions
            FROM {self.leads} l LEFT JOIN acts a ON a.actor = l.owner
            WHERE l.owner IS NOT NULL AND l.status <> 'merged' GROUP BY l.owner ORDER BY l.owner""")
        return fetch_dicts(cur)

    def funnel(self, cur: Any) -> list[dict[str, Any]]:
        """How many leads ever reached each stage, and the rate from the stage before."""
        cur.execute(
            f"""
            SELECT s.stage, count(DISTINCT i.lead_id) AS reached
            FROM unnest(%(stages)s::text[]) WITH ORDINALITY AS s(stage, n)
            LEFT JOIN {self.intervals} i ON i.status = s.stage
            GROUP BY s.stage, s.n ORDER BY s.n""",
            {"stages": list(FUNNEL)},
        )
        rows = fetch_dicts(cur)
        for before, row in zip([None, *rows], rows, strict=False):
            row["rate_from_previous"] = (
                round(row["reached"] / before["reached"], 4) if before and before["reached"] else None
            )
        return rows

    def time_in_status(self, cur: Any, *, now: datetime) -> list[dict[str, Any]]:
        """Average days spent in each status: finished stays, and stays still running until ``now``."""
        cur.execute(
            f"""
            SELECT status, count(*) AS stays,
                   round((avg(extract(epoch FROM coalesce(left_at, %(now)s) - entered_at)) / 86400)::numeric, 3)::float
                       AS average_days
            FROM {self.intervals} GROUP BY status ORDER BY status""",
            {"now": now},
        )
        return fetch_dicts(cur)

    def volume(self, cur: Any, *, period: str) -> list[dict[str, Any]]:
        """Leads created per day, week or month."""
        if period not in PERIODS:
            raise ValueError(f"period must be one of {', '.join(PERIODS)}")
        cur.execute(
            f"""SELECT date_trunc(%(p)s, created_at AT TIME ZONE 'UTC')::date AS period_start, count(*) AS leads
                        FROM {self.leads} GROUP BY 1 ORDER BY 1""",
            {"p": period},
        )
        return fetch_dicts(cur)

    def geography(self, cur: Any) -> list[dict[str, Any]]:
        """Leads by country and region."""
        cur.execute(f"""SELECT coalesce(country, 'unknown') AS country, coalesce(region, 'unknown') AS region,
                               count(*) AS leads
                        FROM {self.leads} WHERE status <> 'merged' GROUP BY 1, 2 ORDER BY leads DESC, 1, 2""")
        return fetch_dicts(cur)

    def aging(self, cur: Any, *, now: datetime) -> list[dict[str, Any]]:
        """Open leads per status and age bucket (days in the current status), with how long,
        on average, since they were last worked (null when none of them ever was)."""
        cases = " ".join(
            f"WHEN days BETWEEN {low} AND {high} THEN '{label}'" if high is not None else f"ELSE '{label}'"
            for low, high, label in BUCKETS
        )
        cur.execute(
            f"""
            SELECT status, CASE {cases} END AS bucket, count(*) AS leads,
                   round(avg(idle_days)::numeric, 2)::float AS average_days_since_activity FROM (
                SELECT status, floor(extract(epoch FROM %(now)s - status_since) / 86400)::int AS days,
                       extract(epoch FROM %(now)s - last_activity_at) / 86400 AS idle_days
                FROM {self.ages} WHERE status = ANY(%(in_progress)s)) t
            GROUP BY 1, 2 ORDER BY 1, 2""",
            {"now": now, "in_progress": sorted(s.value for s in IN_PROGRESS)},
        )
        return fetch_dicts(cur)
