"""Import jobs (and mass-action jobs) and their rows in PostgreSQL, beside the event store: a
dry run's verdicts and a confirm's results cannot be rebuilt from the log. The rows hold the
file's cells (personal data) for the rejected-rows download; they are kept until an operator
deletes the job (no retention setting yet: see the notes of #19)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import orjson
from psycopg2.extras import Json, execute_values

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


def _json(value: Any) -> Json:
    return Json(value, dumps=lambda v: orjson.dumps(v).decode())


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
                "WHERE id = %s AND (fields->>'state' IN ('planned', 'interrupted') OR (fields->>'state' IN "
                f"('confirmed', 'running') AND updated_at < now() - interval '{STALE_S} seconds')) RETURNING id",
                (_json({"state": "confirmed", "confirmed_by": actor}), str(job_id)),
            )
            return cur.fetchone() is not None

    def add_rows(self, job_id: UUID, rows: Sequence[tuple[int, dict[str, Any], list[str]]]) -> None:
        with self.db.cursor() as cur:
            execute_values(
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

    def set_results(self, job_id: UUID, results: Sequence[tuple[int, dict[str, Any]]]) -> None:
        if not results:
            return
        with self.db.cursor() as cur:
            execute_values(
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
