"""Erasing a lead's personal data on request: record the erasure, destroy the keys, delete the
files. Safe to repeat: a second request records nothing and finishes what a crash left undone.
"""

from __future__ import annotations

import logging
from uuid import UUID

from domain.command_handling import CommandResult
from domain.ports import Blobs, DataKeys, ImportCells
from domain.service import LeadService
from domain.values import EventMeta

log = logging.getLogger(__name__)


def erase_lead(
    *,
    service: LeadService,
    keys: DataKeys,
    blobs: Blobs,
    lead_id: UUID,
    meta: EventMeta,
    request: str | None,
    expected_version: int | None,
    imports: ImportCells | None = None,
) -> CommandResult:
    """The event first: if the keys were destroyed first and the save then failed, the lead
    would be unreadable yet still accept changes. The contact its conversion created is the
    same person's record, so its key goes too, and so do the cells of any file row it was
    imported from (``imports``)."""
    lead = service.get_lead(lead_id)
    result = service.erase_personal_data(lead_id=lead_id, meta=meta, request=request, expected_version=expected_version)
    links = lead.conversion
    keys.erase([lead_id, *([links.contact_id] if links and links.created_contact else [])])
    deleted = blobs.release(
        lead_id=lead_id,
        hashes=[a.content_hash for a in lead.attachments],
        absorbed=lead.absorbed,
        heir=lead.merged_into,
    )
    log.info("erased the personal data of lead %s (%d files deleted)", lead_id, deleted)
    rows = imports.forget_lead(lead_id) if imports is not None else 0
    if rows:
        log.info("blanked %d import row(s) of lead %s", rows, lead_id)
    return result
