"""Stores the domain's pydantic events as JSON and restores them, upcasting old versions.

eventsourcing 9.5 ships no pydantic mapper; this follows the pattern of its documented
examples (a mapper that dumps and validates models, a JSON transcoder) and adds the library's
``class_version`` / ``upcast_vN_vN+1`` convention, which its default mapper applies but the
examples' pydantic mapper does not. Personal fields are sealed with the subject's own key
(``infra.personal_data``) before anything is stored, so erasing a subject needs no rewrite.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast
from uuid import UUID

import orjson
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    Cipher,
    Compressor,
    Mapper,
    MapperDeserialisationError,
    StoredEvent,
    Transcoder,
    Transcoding,
)
from eventsourcing.utils import get_topic, resolve_topic
from pydantic import BaseModel

from domain import limits
from domain.base import upcast
from domain.errors import InvalidCommand
from domain.limits import TRUSTED
from infra.personal_data import PersonalData

ENVELOPE_FIELDS = frozenset({"originator_id", "originator_version"})


class PydanticMapper(Mapper[Any]):
    def __init__(
        self,
        *,
        transcoder: Transcoder,
        personal: PersonalData,
        compressor: Compressor | None = None,
        cipher: Cipher | None = None,
    ) -> None:
        super().__init__(transcoder=transcoder, compressor=compressor, cipher=cipher)
        self.personal = personal

    def to_stored_event(self, domain_event: DomainEventProtocol[Any]) -> StoredEvent:
        model = cast(BaseModel, domain_event)
        state = model.model_dump(mode="json", exclude=set(ENVELOPE_FIELDS))
        self.personal.seal(
            type(model), domain_event.originator_id, state, first_event=domain_event.originator_version == 1
        )
        class_version = getattr(type(model), "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        data = self.transcoder.encode(state)
        most = limits.current().event_bytes
        if len(data) > most:
            raise InvalidCommand(
                f"this change would record an event of {len(data)} bytes; events are limited to {most} (event_bytes)"
            )
        if self.compressor:
            data = self.compressor.compress(data)
        if self.cipher:
            data = self.cipher.encrypt(data)
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=get_topic(type(domain_event)),
            state=data,
        )

    def to_domain_event(
        self, stored_event: StoredEvent, *, keys: Mapping[UUID, bytes | None] | None = None
    ) -> DomainEventProtocol[Any]:
        """``keys``: the data keys fetched for a batch of subjects (else looked up one by one)."""
        cls, state = self.decode_state(stored_event, keys=keys)
        state["originator_id"] = stored_event.originator_id
        state["originator_version"] = stored_event.originator_version
        return cast(DomainEventProtocol[Any], cls.model_validate(state, context=TRUSTED))

    def decode_state(
        self, stored_event: StoredEvent, *, sealed: bool = False, keys: Mapping[UUID, bytes | None] | None = None
    ) -> tuple[type[BaseModel], dict[str, Any]]:
        """The event's class and its stored fields at the current version, not validated: for
        readers (relay, projections) that pass on what was validated when it was recorded.
        ``sealed`` keeps the personal fields sealed (the relay publishes them so); ``keys``
        are the data keys fetched for the reader's batch."""
        cls = resolve_topic(stored_event.topic)
        data = stored_event.state
        try:
            if self.cipher:
                data = self.cipher.decrypt(data)
            if self.compressor:
                data = self.compressor.decompress(data)
            state: dict[str, Any] = self.transcoder.decode(data)
            if not sealed:
                self.personal.open(cls, UUID(str(stored_event.originator_id)), state, keys)
        except Exception as e:
            which = f"{stored_event.topic} {stored_event.originator_id} v{stored_event.originator_version}"
            msg = f"cannot decode {which}: {e}"
            raise MapperDeserialisationError(msg) from e
        upcast(cls, state)
        return cls, state


class OrjsonTranscoder(Transcoder):
    """JSON via orjson; pydantic has already turned every value into a JSON type."""

    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(obj)

    def decode(self, data: bytes) -> Any:
        return orjson.loads(data)

    def register(self, transcoding: Transcoding) -> None:
        msg = "events are pydantic models; declare types on the model instead of registering transcodings"
        raise TypeError(msg)
