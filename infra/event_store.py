"""The application service wired to its event store: events stored as JSON by the pydantic
mapper, their personal fields sealed with keys from a :class:`~infra.subject_keys.KeyStore`.

The domain's ``LeadService`` knows nothing of keys; this subclass only chooses how its events
are mapped and recorded, the eventsourcing way (``construct_mapper``, a recorder topic), with
the persistence module still picked by the environment.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import Recording
from eventsourcing.persistence import ApplicationRecorder, Mapper, Notification
from eventsourcing.utils import get_topic
from opentelemetry import trace

from domain.base import Aggregate
from domain.contract.envelope import LEAD_TOPICS, Envelope, envelope_from_state
from domain.service import LeadService
from infra.event_chain import PostgresEventChain
from infra.event_mapper import OrjsonTranscoder, PydanticMapper
from infra.identity_claims import MemoryIdentityClaims, PostgresIdentityClaims, StagedClaims
from infra.keyed_recorder import KeyedApplicationRecorder
from infra.personal_data import PersonalData
from infra.staged_writes import StagedWrites
from infra.subject_keys import KeyStore, PostgresKeyStore
from infra.workloads import MemoryWorkloads, PostgresWorkloads, StagedWorkloads

A = TypeVar("A", bound=Aggregate)


class StoredLeadService(LeadService):
    def __init__(
        self,
        *,
        env: dict[str, str],
        keys: KeyStore,
        claims: StagedClaims | None = None,
        workloads: StagedWorkloads | None = None,
        chain: PostgresEventChain | None = None,
    ) -> None:
        """With keys, identity claims and workloads in PostgreSQL, the recorder writes new keys
        and what was staged in the events' transaction."""
        self.personal = PersonalData(keys)
        self.identity: StagedClaims = claims or MemoryIdentityClaims()
        self.claims = self.identity
        self.staged_workloads: StagedWorkloads = workloads or MemoryWorkloads()
        self.workloads = self.staged_workloads
        self.chain = chain
        if isinstance(keys, PostgresKeyStore):
            env = env | {"APPLICATION_RECORDER_TOPIC": get_topic(KeyedApplicationRecorder)}
        super().__init__(env=env)

    @property
    def keys(self) -> KeyStore:
        return self.personal.keys

    @property
    def staged_writes(self) -> list[StagedWrites[Any]]:
        return [self.identity, self.staged_workloads]

    def construct_recorder(self) -> ApplicationRecorder:
        recorder = super().construct_recorder()
        if isinstance(recorder, KeyedApplicationRecorder) and isinstance(self.keys, PostgresKeyStore):
            recorder.keys = self.keys
            recorder.staged = [w for w in self.staged_writes if isinstance(w, PostgresIdentityClaims)]
            recorder.riders = [w for w in self.staged_writes if isinstance(w, PostgresWorkloads)]
            recorder.chain = self.chain
            if self.chain is not None:
                self.chain.events_table = f"{recorder.datastore.schema}.{recorder.events_table_name}"
        return recorder

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """Tells the key store and the staged writes whether what this save staged was committed."""
        try:
            for writes in self.staged_writes:
                writes.before_save()
            with trace.get_tracer("leads.store").start_as_current_span("store events"):
                recordings = super().save(*objs, **kwargs)
        except BaseException:
            self.keys.settle(committed=False)
            for writes in self.staged_writes:
                writes.settle(committed=False)
            raise
        self.keys.settle(committed=True)
        for writes in self.staged_writes:
            writes.settle(committed=True)
        return recordings

    def _load_page(self, cls: type[A], aggregate_ids: Sequence[UUID]) -> list[A]:
        """Two queries for a page of aggregates (their events, then their data keys) instead of
        up to two each; outside a batch, whose loaded aggregates it must share, and on
        PostgreSQL (the in-memory store reads one at a time)."""
        recorder = self.recorder
        if self._uow is not None or not isinstance(recorder, KeyedApplicationRecorder):
            return super()._load_page(cls, aggregate_ids)
        stored = recorder.select_events_of(aggregate_ids)
        keys = self.keys.keys_for_reading(aggregate_ids)
        assert isinstance(self.mapper, PydanticMapper)
        events: dict[UUID, list[Any]] = defaultdict(list)
        for one in stored:
            events[UUID(str(one.originator_id))].append(self.mapper.to_domain_event(one, keys=keys))
        found: list[A] = []
        for aggregate_id in aggregate_ids:
            aggregate = None
            for event in events.get(aggregate_id, ()):
                aggregate = event.mutate(aggregate)  # the library's projection, minus its costly Protocol check
            if isinstance(aggregate, cls):
                self._after_load(aggregate)
                found.append(aggregate)
        return found

    def construct_mapper(self) -> Mapper[Any]:
        return PydanticMapper(
            transcoder=OrjsonTranscoder(),
            personal=self.personal,
            compressor=self.factory.compressor(),
            cipher=self.factory.cipher(),
        )


class StoredEventLog:
    """The event store's notification log as the ``domain.ports.EventLog`` the relay, the
    projections' log source, rebuilds and the audit export read. Personal fields are opened
    with the keys of a whole batch, fetched in one query."""

    def __init__(self, service: StoredLeadService, *, topics: tuple[str, ...] = LEAD_TOPICS) -> None:
        """``topics``: the events it reads (the lead's; the ``customers`` read model also reads
        the customer master's)."""
        self.service = service
        self.topics = frozenset(topics)
        mapper = service.mapper
        if not isinstance(mapper, PydanticMapper):
            raise TypeError(f"lead events are stored by {PydanticMapper.__qualname__}")
        self.mapper = mapper

    def head(self) -> int:
        return self.service.recorder.max_notification_id() or 0

    def read(self, *, start: int, limit: int, sealed: bool = False) -> tuple[list[Envelope], int | None]:
        notifications = self.service.recorder.select_notifications(start=start, limit=limit)
        if not notifications:
            return [], None
        leads = [n for n in notifications if n.topic in self.topics]
        keys = None if sealed else self.service.keys.keys_for_reading({UUID(str(n.originator_id)) for n in leads})
        return [self._envelope(n, sealed=sealed, keys=keys) for n in leads], notifications[-1].id

    def _envelope(self, n: Notification, *, sealed: bool, keys: dict[UUID, bytes | None] | None) -> Envelope:
        cls, state = self.mapper.decode_state(n, sealed=sealed, keys=keys)
        return envelope_from_state(
            cls,  # type: ignore[arg-type]
            state,
            lead_id=UUID(str(n.originator_id)),
            version=n.originator_version,
            notification_id=n.id,
        )
