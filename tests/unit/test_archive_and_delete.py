"""Archive hides a lead and can be undone; an admin's soft delete freezes it; both are events."""

from __future__ import annotations

import pytest

from domain.errors import InvalidCommand, LeadDeleted
from domain.lead import Lead
from domain.values import EventMeta, LeadDetails

META = EventMeta(actor="ops")


def new_lead() -> Lead:
    return Lead.capture(details=LeadDetails(contact_name="Ada", email="ada@example.com"), meta=META)


def test_archive_is_recorded_once_and_undone_by_unarchive() -> None:
    lead = new_lead()
    lead.archive(reason="old list", meta=META)
    lead.archive(reason="again", meta=META)
    assert lead.archived and lead.version == 2
    lead.unarchive(meta=META)
    assert not lead.archived and lead.version == 3
    with pytest.raises(InvalidCommand, match="not archived"):
        lead.unarchive(meta=META)


def test_a_deleted_lead_needs_a_reason_and_accepts_no_change_after() -> None:
    lead = new_lead()
    with pytest.raises(InvalidCommand, match="why"):
        lead.delete(reason="  ", meta=META)
    lead.delete(reason="test data", meta=META)
    assert lead.deleted
    for change in (
        lambda: lead.archive(reason=None, meta=META),
        lambda: lead.update_details(changes={"job_title": "CTO"}, meta=META),
        lambda: lead.delete(reason="twice", meta=META),
    ):
        with pytest.raises(LeadDeleted):
            change()
    lead.erase_personal_data(request="gdpr", meta=META)
    assert lead.erased, "erasure stays the path for personal data"
