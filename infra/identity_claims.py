"""Which lead holds which email and phone: the reservation the duplicate check relies on, kept
beside the event store and written in the same transaction as the events that claim or release
(``KeyedApplicationRecorder`` calls :meth:`PostgresIdentityClaims.write_staged`).

Only digests are kept (SHA-256 of the normalised value), so the table holds no address or
number in the clear; an erased lead's claims are released with its erasure.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.duplicates import IdentityKey, IdentityTaken
from infra.postgres import Database
from infra.staged_writes import StagedWrites

DDL = """
CREATE TABLE IF NOT EXISTS {table} (
    kind    text  NOT NULL,
    digest  bytea NOT NULL,
    lead_id uuid  NOT NULL,
    PRIMARY KEY (kind, digest)
);
CREATE INDEX IF NOT EXISTS identity_claims_by_lead ON {table} (lead_id);
"""


def digest(key: IdentityKey) -> bytes:
    return hashlib.sha256(f"{key.kind}:{key.value}".encode()).digest()


@dataclass(frozen=True)
class Staged:
    lead_id: UUID
    keys: tuple[IdentityKey, ...] = ()
    exclusive: bool = False
    release: bool = False


class StagedClaims(StagedWrites[Staged]):
    """Claims and releases staged by this thread for its next save."""

    def stage(self, lead_id: UUID, keys: Iterable[IdentityKey], *, exclusive: bool) -> None:
        self.staged().append(Staged(lead_id, tuple(keys), exclusive))

    def stage_release(self, lead_id: UUID) -> None:
        self.staged().append(Staged(lead_id, release=True))

    def holders(self, keys: Iterable[IdentityKey]) -> dict[IdentityKey, UUID]:
        raise NotImplementedError


class PostgresIdentityClaims(StagedClaims):
    def __init__(self, db: Database, *, schema: str) -> None:
        super().__init__()
        self.db = db
        self.table = f"{schema}.identity_claims"

    def create(self) -> None:
        with self.db.cursor() as cur:
            cur.execute(DDL.format(table=self.table))

    def holders(self, keys: Iterable[IdentityKey]) -> dict[IdentityKey, UUID]:
        wanted = {digest(k): k for k in keys}
        if not wanted:
            return {}
        with self.db.cursor() as cur:
            cur.execute(f"SELECT digest, lead_id FROM {self.table} WHERE digest = ANY(%s)", (list(wanted),))
            return {wanted[bytes(d)]: UUID(str(lead)) for d, lead in cur.fetchall() if bytes(d) in wanted}

    def write_staged(self, cursor: Any) -> None:
        """Apply this thread's staged claims with ``cursor``, inside the save's transaction: the
        claims between two releases in one statement (a batch of captures claims every lead's
        email and phone at once), releases each in their turn, so the staged order holds."""
        claims: list[Staged] = []
        for op in self.staged():
            if not op.release:
                claims.append(op)
                continue
            self._claim(cursor, claims)
            claims = []
            cursor.execute(f"DELETE FROM {self.table} WHERE lead_id = %s", (op.lead_id,))
        self._claim(cursor, claims)

    def _claim(self, cursor: Any, ops: list[Staged]) -> None:
        """Insert the claims of ``ops`` (a key already held stays its holder's, the first staged
        wins among ``ops``); an exclusive claim of a key held by another lead fails the save."""
        rows = [(key.kind, digest(key), op.lead_id) for op in ops for key in op.keys]
        if not rows:
            return
        kinds, digests, leads = (list(column) for column in zip(*rows, strict=True))
        cursor.execute(
            f"INSERT INTO {self.table} (kind, digest, lead_id) "
            "SELECT * FROM unnest(%s::text[], %s::bytea[], %s::uuid[]) ON CONFLICT (kind, digest) DO NOTHING",
            (kinds, digests, leads),
        )
        wanted = [(key, op.lead_id) for op in ops if op.exclusive for key in op.keys]
        if not wanted:
            return
        cursor.execute(
            f"SELECT kind, digest, lead_id FROM {self.table} WHERE digest = ANY(%s)", ([digest(k) for k, _ in wanted],)
        )
        held: dict[tuple[str, bytes], UUID] = {}
        for row in cursor.fetchall():
            kind, found, holder = (row["kind"], row["digest"], row["lead_id"]) if isinstance(row, dict) else row
            held[(kind, bytes(found))] = UUID(str(holder))
        for key, lead_id in wanted:
            holder = held.get((key.kind, digest(key)), lead_id)
            if holder != lead_id:
                raise IdentityTaken(key, holder)

    def erase(self, lead_id: UUID) -> None:
        with self.db.cursor() as cur:
            cur.execute(f"DELETE FROM {self.table} WHERE lead_id = %s", (lead_id,))


class MemoryIdentityClaims(StagedClaims):
    """Claims in a dict, for the in-memory event store of unit tests: applied when the save
    starts (the in-memory store saves whole or not at all in one call)."""

    def __init__(self) -> None:
        super().__init__()
        self.claims: dict[IdentityKey, UUID] = {}

    def holders(self, keys: Iterable[IdentityKey]) -> dict[IdentityKey, UUID]:
        return {k: self.claims[k] for k in keys if k in self.claims}

    def before_save(self) -> None:
        claims = dict(self.claims)
        for op in self.staged():
            if op.release:
                claims = {k: v for k, v in claims.items() if v != op.lead_id}
                continue
            for key in op.keys:
                holder = claims.setdefault(key, op.lead_id)
                if holder != op.lead_id and op.exclusive:
                    raise IdentityTaken(key, holder)
        self.local.pending = claims

    def settle(self, *, committed: bool) -> None:
        pending = getattr(self.local, "pending", None)
        if committed and pending is not None:
            self.claims = pending
        self.local.pending = None
        super().settle(committed=committed)
