"""Attachment content, stored once and addressed by its SHA-256. Not a read model: it cannot
be rebuilt from the log, so it lives beside the event store, not among the projections."""

from __future__ import annotations

import hashlib

from infra.postgres import Database

DDL = """
CREATE TABLE IF NOT EXISTS {schema}.attachment_blobs (
    content_hash text PRIMARY KEY,
    media_type   text   NOT NULL,
    size         bigint NOT NULL,
    content      bytea  NOT NULL,
    stored_at    timestamptz NOT NULL DEFAULT now()
)
"""


class BlobStore:
    def __init__(self, db: Database, *, schema: str) -> None:
        self.db = db
        self.table = f"{schema}.attachment_blobs"
        with db.cursor() as cur:
            cur.execute(DDL.format(schema=schema))

    def put(self, content: bytes, *, media_type: str) -> str:
        """Store ``content`` unless the same bytes are already stored; return its hash."""
        digest = hashlib.sha256(content).hexdigest()
        with self.db.cursor() as cur:
            cur.execute(
                f"INSERT INTO {self.table} (content_hash, media_type, size, content) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (content_hash) DO NOTHING",
                (digest, media_type, len(content), content),
            )
        return digest

    def get(self, content_hash: str) -> tuple[str, bytes] | None:
        with self.db.cursor() as cur:
            cur.execute(f"SELECT media_type, content FROM {self.table} WHERE content_hash = %s", (content_hash,))
            row = cur.fetchone()
        return (row[0], bytes(row[1])) if row else None
