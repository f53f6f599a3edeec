"""Import jobs (and mass-action jobs) and their rows in PostgreSQL, beside the event store: a
dry run's verdicts and a confirm's results cannot be rebuilt from the log. The rows hold the
file's cells (personal data) for the rejected-rows download; they are kept until an operator
are deleted ``import_retention_days`` after the job last moved (:meth:`PostgresImportStore.purge`,
run by ``consumers.import_retention``), and a lead's are blanked when it is erased
(:meth:`PostgresImportStore.forget_lead`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import orjson
import psycopg
from psycopg.types.json import Jsonb

from infra.postgres import Database

DDL = """
CREATE TABLE IF NOT EXISTS {schema}.import_jobs (
    id          uuid PRIMARY KEY,
    fields      jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS {schema}.import_rows (
    import_id uuid NOT NULL,
    line      integer NOT NULL,
    plan      jsonb NOT NULL,
    cells     jsonb NOT NULL,
    outcome   text NOT NULL,
    result    jsonb,
    PRIMARY KEY (import_id, line)
);
CREATE INDEX IF NOT EXISTS import_rows_by_lead ON {schema}.import_rows ((result->>'lead_id'));
CREATE INDEX IF NOT EXISTS import_rows_by_capture ON {schema}.import_rows ((result->>'captured'));
CREATE INDEX IF NOT EXISTS import_rows_by_target ON {schema}.import_rows ((plan->>'target'));
CREATE INDEX IF NOT EXISTS import_jobs_by_age ON {schema}.import_jobs (updated_at);
CREATE TABLE IF NOT EXISTS {schema}.import_mappings (
    name     text PRIMARY KEY,
    mapping  jsonb NOT NULL,
    saved_by text NOT NULL,
    saved_at timestamptz NOT NULL DEFAULT now()
)
"""


STALE_S = 300
"""A confirmed or running job that has not moved for this long was stopped with its process (each
chunk updates the job): confirming it again resumes it."""


def _json(value: Any) -> Jsonb:
    return Jsonb(value, dumps=lambda v: orjson.dumps(v).decode())


def _execute_values(cur: Any, statement: str, rows: Sequence[Sequence[Any]], *, template: str | None = None) -> None:
    """Run ``statement`` for many rows at once: its ``VALUES %s`` becomes one ``(…)`` per row
    (``template``, positional placeholders, or one per value), so a chunk of an import is one
    statement and one round trip.

    The values are quoted on the client (as the former driver's ``execute_values`` did), not bound:
    psycopg 3 parses a statement's placeholders in Python, which for thousands of them takes
    longer than the database's work."""
    if not rows:
        return
    quote = psycopg.ClientCursor(cur.connection).mogrify
    row = template or f"({', '.join(['%s'] * len(rows[0]))})"
    head, tail = statement.split("VALUES %s", 1)
    cur.execute(f"{head}VALUES {', '.join(quote(row, r) for r in rows)}{tail}")


class PostgresImportStore:
    def __init__(self, db: Database, *, schema: str) -> None:
        self.db = db
        self.schema = schema

    def create(self) -> None:
        with self.db.cursor() as cur:
            cur.execute(DDL.format(schema=self.schema))

    def create_job(self, job_id: UUID, fields: dict[str, Any]) -> None:
        with self.db.cursor() as cur:
            cur.execute(
                f"INSERT INTO {self.schema}.import_jobs (id, fields) VALUES (%s, %s)", (str(job_id), _json(fields))
            )

    def update_job(self, job_id: UUID, fields: dict[str, Any]) -> None:
        stamps = {k for k, v in fields.items() if v == "now()"}
        plain = {k: v for k, v in fields.items() if k not in stamps}
        stamp_sql = "".join(f" || jsonb_build_object('{k}', now())" for k in sorted(stamps))
        with self.db.cursor() as cur:
            cur.execute(
                f"UPDATE {self.schema}.import_jobs SET fields = fields || %s{stamp_sql}, updated_at = now() "
                "WHERE id = %s",
                (_json(plain), str(job_id)),
            )

    def job(self, job_id: UUID) -> dict[str, Any] | None:
        with self.db.cursor() as cur:
            cur.execute(
                f"SELECT fields, created_at, updated_at FROM {self.schema}.import_jobs WHERE id = %s", (str(job_id),)
            )
            row = cur.fetchone()
        if row is None:
            return None
        return {**row[0], "id": str(job_id), "created_at": row[1], "updated_at": row[2]}

    def claim_confirm(self, job_id: UUID, *, actor: str) -> bool:
        with self.db.cursor() as cur:
            cur.execute(
                f"UPDATE {self.schema}.import_jobs SET fields = fields || %s, updated_at = now() "
                "WHERE id = %s AND NOT fields ? 'purged_at' AND NOT fields ? 'cancel_requested' "
                "AND (fields->>'state' IN ('planned', 'interrupted') OR (fields->>'state' IN "
                f"('confirmed', 'running') AND updated_at < now() - interval '{STALE_S} seconds')) RETURNING id",
                (_json({"state": "confirmed", "confirmed_by": actor}), str(job_id)),
            )
            return cur.fetchone() is not None

    def request_cancel(self, job_id: UUID, *, actor: str) -> tuple[str, dict[str, Any]] | None:
        """Ask a job to stop: one at rest (planned, interrupted, or whose process stopped) is
        ``cancelled`` at once; one at work is ``cancelling`` until its worker stops between two
        chunks. Returns (its state before, the job after), None if the job is over or unknown."""
        with self.db.cursor() as cur:
            cur.execute(
                f"WITH old AS (SELECT fields->>'state' AS state FROM {self.schema}.import_jobs WHERE id = %(id)s "
                f"FOR UPDATE) UPDATE {self.schema}.import_jobs SET updated_at = now(), fields = fields "
                "|| jsonb_build_object('cancel_requested', true, 'cancelled_by', "
                "coalesce(fields->>'cancelled_by', %(actor)s)) || CASE WHEN fields->>'state' IN ('planned', "
                f"'interrupted') OR updated_at < now() - interval '{STALE_S} seconds' THEN "
                "jsonb_build_object('state', 'cancelled', 'cancelled_at', now()) "
                "ELSE jsonb_build_object('state', 'cancelling') END "
                "WHERE id = %(id)s AND fields->>'state' IN ('planning', 'planned', 'confirmed', 'running', "
                "'interrupted', 'cancelling') RETURNING (SELECT state FROM old), fields, created_at, updated_at",
                {"id": str(job_id), "actor": actor},
            )
            row = cur.fetchone()
        if row is None:
            return None
        return row[0], {**row[1], "id": str(job_id), "created_at": row[2], "updated_at": row[3]}

    def cancel_requested(self, job_id: UUID) -> bool:
        """Whether someone asked the job to stop (its worker asks between chunks)."""
        with self.db.cursor() as cur:
            cur.execute(
                f"SELECT coalesce((fields->>'cancel_requested')::boolean, false) FROM {self.schema}.import_jobs "
                "WHERE id = %s",
                (str(job_id),),
            )
            row = cur.fetchone()
        return bool(row and row[0])

    def add_rows(self, job_id: UUID, rows: Sequence[tuple[int, dict[str, Any], list[str]]]) -> None:
        with self.db.cursor() as cur:
            _execute_values(
                cur,
                f"INSERT INTO {self.schema}.import_rows (import_id, line, plan, cells, outcome) VALUES %s "
                "ON CONFLICT DO NOTHING",
                [(str(job_id), line, _json(plan), _json(cells), plan["outcome"]) for line, plan, cells in rows],
            )

    def rows(
        self, job_id: UUID, *, after_line: int, limit: int, outcome: str | None = None, exclude: str | None = None
    ) -> list[tuple[int, dict[str, Any], list[str], dict[str, Any] | None]]:
        where = (" AND outcome = %s" if outcome else "") + (" AND outcome <> %s" if exclude else "")
        with self.db.cursor() as cur:
            cur.execute(
                f"SELECT line, plan, cells, result FROM {self.schema}.import_rows "
                f"WHERE import_id = %s AND line > %s{where} ORDER BY line LIMIT %s",
                (str(job_id), after_line, *[o for o in (outcome, exclude) if o], limit),
            )
            return [(r[0], r[1], r[2], r[3]) for r in cur.fetchall()]

    def pending(self, job_id: UUID, *, after_line: int, limit: int) -> list[tuple[int, str | None]]:
        with self.db.cursor() as cur:
            cur.execute(
                f"SELECT line, CASE WHEN result IS NULL THEN plan::text END FROM {self.schema}.import_rows "
                "WHERE import_id = %s AND line > %s ORDER BY line LIMIT %s",
                (str(job_id), after_line, limit),
            )
            return [(r[0], r[1]) for r in cur.fetchall()]

    def set_results(self, job_id: UUID, results: Sequence[tuple[int, dict[str, Any]]]) -> None:
        if not results:
            return
        with self.db.cursor() as cur:
            _execute_values(
                cur,
                f"UPDATE {self.schema}.import_rows r SET result = v.result::jsonb "
                "FROM (VALUES %s) AS v(import_id, line, result) "
                "WHERE r.import_id = v.import_id::uuid AND r.line = v.line",
                [(str(job_id), line, orjson.dumps(result).decode()) for line, result in results],
                template="(%s, %s, %s)",
            )

    def result_counts(self, job_id: UUID) -> dict[str, int]:
        with self.db.cursor() as cur:
            cur.execute(
                f"SELECT result->>'result', count(*) FROM {self.schema}.import_rows WHERE import_id = %s "
                "AND result IS NOT NULL GROUP BY 1",
                (str(job_id),),
            )
            return {r[0]: int(r[1]) for r in cur.fetchall()}

    def purge(self, *, older_than_days: int, limit: int = 100) -> int:
        """Delete the rows of up to ``limit`` jobs that have not moved for ``older_than_days``
        (whatever their state: a job that long idle is over), keeping each job's record with its
        counts and when its rows went; returns how many jobs were purged."""
        with self.db.cursor() as cur:
            cur.execute(
                f"SELECT id FROM {self.schema}.import_jobs WHERE updated_at < now() - make_interval(days => %s) "
                "AND NOT fields ? 'purged_at' ORDER BY updated_at LIMIT %s FOR UPDATE SKIP LOCKED",
                (older_than_days, limit),
            )
            ids = [r[0] for r in cur.fetchall()]
            if ids:
                cur.execute(f"DELETE FROM {self.schema}.import_rows WHERE import_id = ANY(%s::uuid[])", (ids,))
                cur.execute(
                    f"UPDATE {self.schema}.import_jobs SET fields = fields || jsonb_build_object('purged_at', now()) "
                    "WHERE id = ANY(%s::uuid[])",
                    (ids,),
                )
        return len(ids)

    def forget_lead(self, lead_id: UUID) -> int:
        """Blank what import rows hold of an erased lead: the cells and verdict of every row that
        became it, updated it or merged into it (a row not carried out yet is then failed, so a
        confirm cannot bring the data back), and its name where it was a row's look-alike;
        returns how many rows changed. The look-alike search reads every row: erasures are rare
        and the table holds ``import_retention_days`` of rows at most."""
        lead = str(lead_id)
        with self.db.cursor() as cur:
            cur.execute(
                f"UPDATE {self.schema}.import_rows SET cells = '[]'::jsonb, "
                "plan = plan - 'details' - 'changes' || jsonb_build_object('candidates', '[]'::jsonb), "
                "result = coalesce(result, jsonb_build_object('result', 'failed', 'reason', %(why)s::text)) "
                "WHERE result->>'lead_id' = %(lead)s OR result->>'captured' = %(lead)s OR plan->>'target' = %(lead)s",
                {"lead": lead, "why": "the lead was erased before this row was carried out"},
            )
            changed = int(cur.rowcount)
            cur.execute(
                f"UPDATE {self.schema}.import_rows SET plan = jsonb_set(plan, '{{candidates}}', ("
                "SELECT jsonb_agg(CASE WHEN c->>'lead_id' = %(lead)s THEN c || jsonb_build_object('contact_name', '') "
                "ELSE c END) FROM jsonb_array_elements(plan->'candidates') c)) "
                "WHERE plan->'candidates' @> jsonb_build_array(jsonb_build_object('lead_id', %(lead)s::text))",
                {"lead": lead},
            )
            return changed + int(cur.rowcount)

    def save_mapping(self, name: str, mapping: dict[str, str], *, by: str) -> None:
        with self.db.cursor() as cur:
            cur.execute(
                f"INSERT INTO {self.schema}.import_mappings (name, mapping, saved_by) VALUES (%s, %s, %s) "
                "ON CONFLICT (name) DO UPDATE SET mapping = EXCLUDED.mapping, saved_by = EXCLUDED.saved_by, "
                "saved_at = now()",
                (name, _json(mapping), by),
            )

    def mapping(self, name: str) -> dict[str, str] | None:
        with self.db.cursor() as cur:
            cur.execute(f"SELECT mapping FROM {self.schema}.import_mappings WHERE name = %s", (name,))
            row = cur.fetchone()
        return dict(row[0]) if row else None
