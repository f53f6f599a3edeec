"""Erasure by crypto-shredding, on in-memory persistence: personal fields are stored sealed
with the lead's own key; once the key is destroyed the events stay and read as erased, and
the lead accepts no further changes."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from domain.customers import Contact
from domain.errors import LeadErased, SubjectErased
from domain.lifecycle import LeadCommand as C
from domain.picklists import LeadStatus
from domain.records import Note
from domain.values import ERASED, LeadDetails
from infra.event_store import StoredLeadService
from tests.unit.conftest import META
from tests.unit.test_lifecycle import INVOKE, NOW, activity, attachment, lead_in
from tests.unit.test_service import ADA, BANT, TERMS, meta, qualified

PERSON = LeadDetails.model_validate(
    {
        "contact_name": "Ada Lovelace",
        "email": "ada@example.com",
        "phone": "+442079460958",
        "company": "Engines Ltd",
        "source": "referral",
        "job_title": "Countess",
        "address": {"street": "12 St James's Sq", "city": "London", "country": "GB", "region": "London"},
    }
)
SECRETS = ("Ada Lovelace", "ada@example.com", "+442079460958", "Countess", "St James", "likes engines", "Intro call")


def worked_lead(service: StoredLeadService) -> UUID:
    lead_id = service.capture_lead(details=PERSON, meta=meta()).lead_id
    service.add_note(
        lead_id=lead_id, note=Note(note_id=uuid4(), text="likes engines", author="rep-1", added_at=NOW), meta=meta()
    )
    service.log_activity(lead_id=lead_id, activity=activity(), meta=meta())
    service.add_attachment(lead_id=lead_id, attachment=attachment(), meta=meta())
    service.update_bant(lead_id=lead_id, changes=BANT, meta=meta())
    return lead_id


def erase(service: StoredLeadService, lead_id: UUID) -> None:
    """What ``domain.erasure.erase_lead`` does, minus the attachment contents (PostgreSQL)."""
    lead = service.get_lead(lead_id)
    service.erase_personal_data(lead_id=lead_id, request="DSR-1", meta=meta())
    links = lead.conversion
    service.keys.erase([lead_id, *([links.contact_id] if links and links.created_contact else [])])


def stored_text(service: StoredLeadService, aggregate_id: UUID) -> str:
    return "".join(e.state.decode() for e in service.recorder.select_events(aggregate_id))


def test_personal_fields_are_never_stored_in_the_clear_yet_read_back_while_the_key_exists(
    service: StoredLeadService,
) -> None:
    lead_id = worked_lead(service)
    stored = stored_text(service, lead_id)
    assert not [s for s in SECRETS if s in stored]
    assert "Engines Ltd" in stored and "referral" in stored, "what is not personal stays readable"
    lead = service.get_lead(lead_id)
    assert lead.details == PERSON and lead.notes[0].text == "likes engines" and lead.bant == BANT
    assert lead.activities[0].subject == "Intro call" and lead.attachments[0].name == "brief.pdf"


def test_after_erasure_the_events_stay_and_their_personal_fields_read_as_erased(service: StoredLeadService) -> None:
    lead_id = worked_lead(service)
    versions = len(service.history(lead_id))
    erase(service, lead_id)
    history = service.history(lead_id)
    assert len(history) == versions + 1 and type(history[-1]).__name__ == "PersonalDataErased"
    lead = service.get_lead(lead_id)
    assert lead.erased and lead.status is LeadStatus.NEW
    assert lead.details.model_dump(exclude_defaults=True) == {
        "contact_name": ERASED,
        "company": "Engines Ltd",
        "source": "referral",
        "address": {"country": "GB", "region": "London"},
    }
    assert lead.notes[0].text == ERASED and lead.activities[0].subject == ERASED
    assert lead.activities[0].outcome is None and lead.attachments[0].name == ERASED
    assert lead.attachments[0].content_hash == "a" * 64 and lead.bant == {}
    replayed = service.get_lead(lead_id, version=1)
    assert replayed.details.contact_name == ERASED and not replayed.erased


def test_an_erased_lead_refuses_every_command(service: StoredLeadService) -> None:
    lead_id = worked_lead(service)
    erase(service, lead_id)
    lead = service.get_lead(lead_id)
    for command in C:
        with pytest.raises(LeadErased):
            INVOKE[command](lead)
    with pytest.raises(LeadErased):
        service.add_note(
            lead_id=lead_id, note=Note(note_id=uuid4(), text="x", author="rep-1", added_at=NOW), meta=meta()
        )


@pytest.mark.parametrize("status", list(LeadStatus))
def test_a_lead_can_be_erased_in_every_status(status: LeadStatus) -> None:
    lead = lead_in(status)
    lead.erase_personal_data(request=None, meta=META)
    assert lead.erased and lead.status is status


def test_erasing_twice_records_one_erasure(service: StoredLeadService) -> None:
    lead_id = worked_lead(service)
    erase(service, lead_id)
    erase(service, lead_id)
    names = [type(e).__name__ for e in service.history(lead_id)]
    assert names.count("PersonalDataErased") == 1


def test_erasing_a_converted_lead_erases_the_contact_its_conversion_created(service: StoredLeadService) -> None:
    lead_id = qualified(service)
    contact_id = service.convert(lead_id=lead_id, terms=TERMS, meta=meta()).created["contact_id"]
    assert "ada@example.com" not in stored_text(service, contact_id)
    erase(service, lead_id)
    contact = service.repository.get(contact_id)
    assert isinstance(contact, Contact) and (contact.name, contact.email) == (ERASED, None)
    assert service.get_lead(lead_id).details.company == ADA.company


def test_personal_data_cannot_be_written_for_an_erased_subject(service: StoredLeadService) -> None:
    """A command that loaded the lead before another request erased it cannot save."""
    lead_id = worked_lead(service)
    stale = service.get_lead(lead_id)
    erase(service, lead_id)
    stale.add_note(note=Note(note_id=uuid4(), text="too late", author="rep-1", added_at=NOW), meta=META)
    with pytest.raises(SubjectErased):
        service.save(stale)


def test_a_sealed_event_opens_only_for_its_own_lead(service: StoredLeadService) -> None:
    """The subject id is bound into the ciphertext: moving sealed fields to another lead fails."""
    first, second = worked_lead(service), worked_lead(service)
    stored = service.recorder.select_events(first)[0]
    moved = type(stored)(originator_id=second, originator_version=1, topic=stored.topic, state=stored.state)
    with pytest.raises(Exception, match="cannot decode"):
        service.mapper.to_domain_event(moved)
