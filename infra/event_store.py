"""The application service wired to its event store: events stored as JSON by the pydantic
mapper, their personal fields sealed with keys from a :class:`~infra.subject_keys.KeyStore`.

The domain's ``LeadService`` knows nothing of keys; this subclass only chooses how its events
are mapped, the eventsourcing way (``construct_mapper``), with the persistence module still
picked by the environment.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import Mapper

from domain.service import LeadService
from infra.event_mapper import OrjsonTranscoder, PydanticMapper
from infra.personal_data import PersonalData
from infra.subject_keys import KeyStore


class StoredLeadService(LeadService):
    def __init__(self, *, env: dict[str, str], keys: KeyStore) -> None:
        self.personal = PersonalData(keys)
        super().__init__(env=env)

    @property
    def keys(self) -> KeyStore:
        return self.personal.keys

    def construct_mapper(self) -> Mapper[Any]:
        return PydanticMapper(transcoder=OrjsonTranscoder(), personal=self.personal,
                              compressor=self.factory.compressor(), cipher=self.factory.cipher())  # fmt: skip
