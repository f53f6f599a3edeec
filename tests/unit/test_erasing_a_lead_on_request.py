"""Erasing a lead on request (``domain.erasure.erase_lead``): the erasure recorded first, then the
lead's key destroyed, with the key of the contact its conversion made, and its files released."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from uuid import UUID

import pytest

from domain.erasure import erase_lead
from domain.errors import VersionConflict
from domain.lead_events import PersonalDataErased
from infra.event_store import StoredLeadService
from tests.unit.test_commands_through_the_service import new, prepare_qualified
from tests.unit.test_erasure import PERSON, worked_lead
from tests.unit.test_service import TERMS, meta


class Files:
    """The file store: remembers what each erasure released."""

    def __init__(self) -> None:
        self.released: list[tuple[UUID, list[str], list[UUID], UUID | None]] = []

    def put(self, content: bytes, *, media_type: str, lead_id: UUID) -> str:
        raise NotImplementedError

    def get(self, content_hash: str) -> tuple[str, bytes] | None:
        raise NotImplementedError

    def release(self, *, lead_id: UUID, hashes: Iterable[str], absorbed: Iterable[UUID], heir: UUID | None) -> int:
        self.released.append((lead_id, list(hashes), list(absorbed), heir))
        return len(self.released[-1][1])


def erase(service: StoredLeadService, files: Files, lead: UUID, expected_version: int | None = None) -> tuple[int, int]:
    result = erase_lead(
        service=service,
        keys=service.keys,
        blobs=files,
        lead_id=lead,
        meta=meta(),
        request="DSR-3",
        expected_version=expected_version,
    )
    return result.version, service.get_lead(lead).version


def test_erasing_a_lead_records_the_request_destroys_its_key_and_releases_its_files(
    service: StoredLeadService, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="domain.erasure")
    lead, files = worked_lead(service), Files()
    version = service.get_lead(lead).version
    assert erase(service, files, lead, expected_version=version) == (version + 1, version + 1)
    erased = service.history(lead)[-1]
    assert isinstance(erased, PersonalDataErased) and (erased.request, erased.contact_id) == ("DSR-3", None)
    assert service.keys.key_for_reading(lead) is None
    assert files.released == [(lead, ["a" * 64], [], None)]
    assert caplog.messages == [f"erased the personal data of lead {lead} (1 files deleted)"]


def test_erasing_a_converted_lead_destroys_the_key_of_the_contact_its_conversion_made(
    service: StoredLeadService,
) -> None:
    lead = new(service, PERSON)
    prepare_qualified(service, lead)
    contact = service.convert(lead_id=lead, terms=TERMS, meta=meta()).created["contact_id"]
    erase(service, Files(), lead)
    assert service.keys.key_for_reading(lead) is None and service.keys.key_for_reading(contact) is None


def test_erasing_a_lead_converted_into_an_existing_contact_leaves_that_contacts_key(
    service: StoredLeadService,
) -> None:
    first = new(service, PERSON)
    prepare_qualified(service, first)
    contact = service.convert(lead_id=first, terms=TERMS, meta=meta()).created["contact_id"]
    second = new(service, PERSON)
    prepare_qualified(service, second)
    service.convert(lead_id=second, terms=TERMS, meta=meta(), contact_id=contact)
    erase(service, Files(), second)
    assert service.keys.key_for_reading(second) is None and service.keys.key_for_reading(contact) is not None


def test_erasing_a_master_releases_the_files_of_the_leads_it_absorbed(service: StoredLeadService) -> None:
    master, dup = new(service, PERSON), worked_lead(service)
    service.merge(master_id=master, duplicate_ids=[dup], meta=meta())
    files = Files()
    erase(service, files, master)
    erase(service, files, dup)
    assert files.released == [(master, ["a" * 64], [dup], None), (dup, ["a" * 64], [], master)]


def test_an_erasure_with_a_stale_expected_version_destroys_nothing(service: StoredLeadService) -> None:
    lead, files = worked_lead(service), Files()
    with pytest.raises(VersionConflict):
        erase(service, files, lead, expected_version=1)
    assert service.keys.key_for_reading(lead) is not None and files.released == []
