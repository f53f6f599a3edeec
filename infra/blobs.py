"""Attachment content, stored once and addressed by its SHA-256. Not a read model: it cannot
be rebuilt from the log, so it lives beside the event store, not among the projections.

Each lead that uploads a content holds a reference to it, so erasing one lead's personal data
deletes the contents no other lead refers to and keeps the rest."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from uuid import UUID

from infra.postgres import Database

DDL = """
CREATE TABLE IF NOT EXISTS {schema}.attachment_blobs (
    content_hash text PRIMARY KEY,
    media_type   text   NOT NULL,
    size         bigint NOT NULL,
    content      bytea  NOT NULL,
    stored_at    timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS {schema}.attachment_blob_refs (
    content_hash text NOT NULL,
    lead_id      uuid NOT NULL,
    PRIMARY KEY (content_hash, lead_id)
)
"""


class BlobStore:
    def __init__(self, db: Database, *, schema: str) -> None:
        self.db = db
        self.table = f"{schema}.attachment_blobs"
        self.refs = f"{schema}.attachment_blob_refs"
        with db.cursor() as cur:
            cur.execute(DDL.format(schema=schema))

    def put(self, content: bytes, *, media_type: str, lead_id: UUID) -> str:
        """Store ``content`` unless the same bytes are already stored; return its hash."""
        digest = hashlib.sha256(content).hexdigest()
        with self.db.cursor() as cur:
            cur.execute(
                f"INSERT INTO {self.table} (content_hash, media_type, size, content) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (content_hash) DO NOTHING",
                (digest, media_type, len(content), content),
            )
            cur.execute(f"INSERT INTO {self.refs} VALUES (%s, %s) ON CONFLICT DO NOTHING", (digest, str(lead_id)))
        return digest

    def release(self, *, lead_id: UUID, hashes: Iterable[str], absorbed: Iterable[UUID], heir: UUID | None) -> int:
        """Drop the references of an erased lead (and, for the files it absorbed, of the
        duplicates merged into it) and delete the contents no lead refers to any more; return
        how many were deleted. A merged duplicate's files belong to its master (``heir``),
        which takes over its references instead."""
        hashes = sorted(set(hashes))
        with self.db.cursor() as cur:
            if heir is not None:
                cur.execute(
                    f"INSERT INTO {self.refs} SELECT content_hash, %s FROM {self.refs} "
                    "WHERE lead_id = %s ON CONFLICT DO NOTHING",
                    (str(heir), str(lead_id)),
                )
            cur.execute(
                f"DELETE FROM {self.refs} WHERE lead_id = %s OR (lead_id = ANY(%s::uuid[]) AND "
                "content_hash = ANY(%s)) RETURNING content_hash",
                (str(lead_id), [str(a) for a in absorbed], hashes),
            )
            dropped = sorted({row[0] for row in cur} | set(hashes))
            cur.execute(
                f"DELETE FROM {self.table} b WHERE content_hash = ANY(%s) AND NOT EXISTS "
                f"(SELECT 1 FROM {self.refs} r WHERE r.content_hash = b.content_hash)",
                (dropped,),
            )
            return int(cur.rowcount)

    def get(self, content_hash: str) -> tuple[str, bytes] | None:
        with self.db.cursor() as cur:
            cur.execute(f"SELECT media_type, content FROM {self.table} WHERE content_hash = %s", (content_hash,))
            row = cur.fetchone()
        return (row[0], bytes(row[1])) if row else None
