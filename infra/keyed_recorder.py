"""The eventsourcing PostgreSQL application recorder, plus the data keys of new subjects,
written in the same transaction as their first events (the library's ``_insert_events`` hook,
which its process recorder uses for tracking records)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import Cursor
from psycopg.rows import DictRow

from infra.subject_keys import PostgresKeyStore


class KeyedApplicationRecorder(PostgresApplicationRecorder):
    keys: PostgresKeyStore | None = None
    """Set by the application once built (the library constructs recorders from the environment)."""

    def _insert_events(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        super()._insert_events(curs, stored_events, **kwargs)
        if self.keys is None:
            raise RuntimeError("KeyedApplicationRecorder.keys is not set; build the service with StoredLeadService")
        self.keys.write_new(curs, {UUID(str(e.originator_id)) for e in stored_events})
