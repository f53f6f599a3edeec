"""Unit-test helpers: the service on in-memory persistence (a fake of the event store port),
with the real pydantic mapper so every event also round-trips through JSON, personal fields
sealed with keys from an in-memory key store."""

from __future__ import annotations

import pytest

from domain.lead import Lead
from domain.values import EventMeta, LeadDetails
from infra.event_store import StoredLeadService
from infra.subject_keys import MemoryKeyStore

META = EventMeta(actor="rep-1")


def new_lead(**details: object) -> Lead:
    fields: dict[str, object] = {"contact_name": "Ada Lovelace", "email": "ada@example.com"} | details
    return Lead.capture(details=LeadDetails.model_validate(fields), meta=META)


def in_memory_service() -> StoredLeadService:
    return StoredLeadService(env={}, keys=MemoryKeyStore())


@pytest.fixture
def service() -> StoredLeadService:
    return in_memory_service()
