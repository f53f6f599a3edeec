"""Data keys for crypto-shredding: one AES-256 key per aggregate ("subject") whose events
carry personal data. Erasing a subject destroys its key, so its events stay in the log and on
Kafka but their personal fields can no longer be read by anyone.

The keys live beside the event store (same database, event schema), not among the read models:
they cannot be rebuilt from the log. Backups of this table keep keys that were erased after
the backup was taken; expire them on the same schedule as erasure requests demand.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Protocol
from uuid import UUID

from cachetools import TTLCache
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.errors import DomainError
from infra.postgres import Database

DDL = """
CREATE TABLE IF NOT EXISTS {table} (
    subject_id uuid PRIMARY KEY,
    data_key   bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    erased_at  timestamptz,
    CHECK ((data_key IS NULL) = (erased_at IS NOT NULL))
)
"""


class SubjectErased(DomainError):
    """Personal data was about to be stored for a subject whose key is destroyed (a command
    that loaded the lead just before another request erased it)."""

    def __init__(self, subject: UUID) -> None:
        super().__init__(f"{subject} had its personal data erased; no personal data can be stored for it again")
        self.subject = subject


class KeyStore(Protocol):
    def key_for_writing(self, subject: UUID) -> bytes:
        """The subject's key, created on first use; :class:`SubjectErased` once erased."""
        ...

    def key_for_reading(self, subject: UUID) -> bytes | None:
        """The subject's key, or None once erased."""
        ...

    def prefetch(self, subjects: Iterable[UUID]) -> None:
        """Load many keys in one round trip before a batch is read."""
        ...

    def erase(self, subjects: Iterable[UUID]) -> None:
        """Destroy the subjects' keys, for good."""
        ...


class MemoryKeyStore:
    """Keys in a dict: for the in-memory event store of unit tests and examples."""

    def __init__(self) -> None:
        self.keys: dict[UUID, bytes | None] = {}

    def key_for_writing(self, subject: UUID) -> bytes:
        key = self.keys.setdefault(subject, AESGCM.generate_key(bit_length=256))
        if key is None:
            raise SubjectErased(subject)
        return key

    def key_for_reading(self, subject: UUID) -> bytes | None:
        return self.keys.get(subject)

    def prefetch(self, subjects: Iterable[UUID]) -> None:
        pass

    def erase(self, subjects: Iterable[UUID]) -> None:
        for subject in subjects:
            self.keys[subject] = None


class PostgresKeyStore:
    """Keys in ``<event schema>.subject_keys``, cached per process for ``cache_s`` seconds.

    A process that cached a key before another process erased it can read that subject's data
    until its cached entry expires; the process that erases forgets the key at once. New keys
    are written with ``synchronous_commit = off``: the events that need a key commit after it,
    synchronously, and that flushes the key's WAL record too; a key whose events never commit
    is harmless.
    """

    def __init__(self, db: Database, *, schema: str, cache_s: float, cache_size: int = 100_000) -> None:
        self.db = db
        self.table = f"{schema}.subject_keys"
        self.cache: TTLCache[UUID, bytes | None] = TTLCache(maxsize=cache_size, ttl=cache_s)
        self.lock = threading.Lock()

    def create(self) -> None:
        with self.db.cursor() as cur:
            cur.execute(DDL.format(table=self.table))

    def _cached(self, subject: UUID) -> tuple[bool, bytes | None]:
        with self.lock:
            if subject in self.cache:
                return True, self.cache[subject]
        return False, None

    def _remember(self, keys: dict[UUID, bytes | None]) -> None:
        with self.lock:
            self.cache.update(keys)

    def key_for_writing(self, subject: UUID) -> bytes:
        known, key = self._cached(subject)
        if not known or key is None:
            with self.db.cursor() as cur:
                cur.execute("SET LOCAL synchronous_commit = off")
                cur.execute(
                    f"WITH new AS (INSERT INTO {self.table} (subject_id, data_key) VALUES (%(s)s, %(k)s) "
                    "ON CONFLICT (subject_id) DO NOTHING RETURNING data_key) "
                    f"SELECT data_key FROM new UNION ALL SELECT data_key FROM {self.table} WHERE subject_id = %(s)s",
                    {"s": str(subject), "k": AESGCM.generate_key(bit_length=256)},
                )
                row = cur.fetchone()
            key = bytes(row[0]) if row and row[0] is not None else None
            self._remember({subject: key})
        if key is None:
            raise SubjectErased(subject)
        return key

    def key_for_reading(self, subject: UUID) -> bytes | None:
        known, key = self._cached(subject)
        if not known:
            self.prefetch([subject])
            key = self._cached(subject)[1]
        return key

    def prefetch(self, subjects: Iterable[UUID]) -> None:
        """Only keys found are cached: a subject without a key yet may get one any moment."""
        with self.lock:
            missing = list({str(s) for s in subjects if s not in self.cache})
        if not missing:
            return
        with self.db.cursor() as cur:
            cur.execute(f"SELECT subject_id, data_key FROM {self.table} WHERE subject_id = ANY(%s::uuid[])", (missing,))
            found: dict[UUID, bytes | None] = {UUID(str(s)): bytes(k) if k is not None else None for s, k in cur}
        self._remember(found)

    def erase(self, subjects: Iterable[UUID]) -> None:
        ids = [str(s) for s in subjects]
        with self.db.cursor() as cur:
            cur.execute(f"UPDATE {self.table} SET data_key = NULL, erased_at = coalesce(erased_at, now()) "
                        "WHERE subject_id = ANY(%s::uuid[])", (ids,))  # fmt: skip
        self._remember({UUID(s): None for s in ids})
