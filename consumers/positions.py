"""Where each consumer is in its source, stored in the read-model database.

A projection writes its position in the same transaction as its rows, so after any crash the
tables and the position agree; the relay writes its position only after Kafka acknowledged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

DDL = """
CREATE TABLE IF NOT EXISTS {schema}.consumer_positions (
    consumer   text        NOT NULL,
    source     text        NOT NULL,
    partition  integer     NOT NULL,
    position   bigint      NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, source, partition)
)
"""


class Positions:
    """Last applied position per (consumer, source, partition): a notification id or an offset."""

    def __init__(self, *, schema: str) -> None:
        self.table = f"{schema}.consumer_positions"
        self.schema = schema
        self.channel = f"{schema}_positions"
        """Where every save NOTIFYs: processes waiting for a projection (``?after=``) LISTEN."""

    def create(self, cur: Any) -> None:
        cur.execute(DDL.format(schema=self.schema))

    def load(self, cur: Any, *, consumer: str, source: str) -> dict[int, int]:
        cur.execute(
            f"SELECT partition, position FROM {self.table} WHERE consumer = %s AND source = %s", (consumer, source)
        )
        return {int(p): int(pos) for p, pos in cur.fetchall()}

    def save(self, cur: Any, *, consumer: str, source: str, positions: dict[int, int]) -> None:
        for partition, position in positions.items():
            cur.execute(
                f"""INSERT INTO {self.table} (consumer, source, partition, position) VALUES (%s, %s, %s, %s)
                    ON CONFLICT (consumer, source, partition)
                    DO UPDATE SET position = GREATEST({self.table}.position, EXCLUDED.position), updated_at = now()""",
                (consumer, source, partition, position),
            )
        if positions:
            # Delivered when (and only if) the caller's transaction commits, with its rows.
            payload = json.dumps({"consumer": consumer, "source": source, "positions": positions})
            cur.execute("SELECT pg_notify(%s, %s)", (self.channel, payload))

    def all(self, cur: Any) -> list[tuple[str, str, int, int]]:
        cur.execute(f"SELECT consumer, source, partition, position FROM {self.table} ORDER BY 1, 2, 3")
        return [(c, s, int(p), int(pos)) for c, s, p, pos in cur.fetchall()]


@dataclass(frozen=True)
class Mark:
    """A relayed batch's messages in one partition: the first notification id among them and
    the last offset. Read-your-writes in kafka mode turns a log position into offsets with it."""

    first_id: int
    partition: int
    offset: int


MARKS_DDL = """
CREATE TABLE IF NOT EXISTS {schema}.relay_marks (
    first_id  bigint  NOT NULL,
    partition integer NOT NULL,
    "offset"  bigint  NOT NULL,
    PRIMARY KEY (first_id, partition)
)
"""


class RelayMarks:
    def __init__(self, *, schema: str) -> None:
        self.schema = schema
        self.table = f"{schema}.relay_marks"

    def create(self, cur: Any) -> None:
        cur.execute(MARKS_DDL.format(schema=self.schema))

    def save(self, cur: Any, marks: list[Mark]) -> None:
        for m in marks:
            cur.execute(
                f'INSERT INTO {self.table} (first_id, partition, "offset") VALUES (%s, %s, %s) '
                "ON CONFLICT (first_id, partition) DO UPDATE "
                f'SET "offset" = GREATEST({self.table}."offset", EXCLUDED."offset")',
                (m.first_id, m.partition, m.offset),
            )

    def offsets_covering(self, cur: Any, position: int) -> dict[int, int]:
        """Per partition, an offset at or past every message relayed from log positions up to
        ``position`` (whole batches count: it may ask for a few messages more, never fewer)."""
        cur.execute(
            f'SELECT partition, max("offset") FROM {self.table} WHERE first_id <= %s GROUP BY partition', (position,)
        )
        return {int(p): int(o) for p, o in cur.fetchall()}
