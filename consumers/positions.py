"""Where each consumer is in its source, stored in the read-model database.

A projection writes its position in the same transaction as its rows, so after any crash the
tables and the position agree; the relay writes its position only after Kafka acknowledged.
"""

from __future__ import annotations

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

    def all(self, cur: Any) -> list[tuple[str, str, int, int]]:
        cur.execute(f"SELECT consumer, source, partition, position FROM {self.table} ORDER BY 1, 2, 3")
        return [(c, s, int(p), int(pos)) for c, s, p, pos in cur.fetchall()]
