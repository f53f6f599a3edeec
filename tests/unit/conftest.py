"""Unit-test helpers: the service on in-memory persistence (a fake of the event store port),
with the real pydantic mapper so every event also round-trips through JSON."""

from __future__ import annotations

import pytest

from domain.lead import Lead
from domain.service import LeadService
from domain.values import EventMeta, LeadDetails
from infra.event_mapper import MAPPER_ENV

META = EventMeta(actor="rep-1")


def new_lead(**details: object) -> Lead:
    fields: dict[str, object] = {"contact_name": "Ada Lovelace", "email": "ada@example.com"} | details
    return Lead.capture(details=LeadDetails.model_validate(fields), meta=META)


@pytest.fixture
def service() -> LeadService:
    return LeadService(env=dict(MAPPER_ENV))
