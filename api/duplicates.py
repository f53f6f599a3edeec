"""The duplicate check on create: what the caller chose to do when a new lead looks like
existing ones (the candidates come from the ``dedupe_index`` read model)."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from uuid import UUID

from api.errors import PossibleDuplicate
from api.models import DuplicateCandidate
from domain.errors import InvalidCommand
from domain.service import LeadService
from domain.values import LeadDetails
from infra.runtime import Engine
from projections.dedupe_index import DedupeIndex


class OnDuplicate(StrEnum):
    REJECT = "reject"
    CREATE = "create"
    ASSOCIATE = "associate"


def duplicate_screen(
    engine: Engine, service: LeadService, choice: OnDuplicate | None
) -> Callable[[LeadDetails], LeadDetails]:
    """The ``screen`` for ``LeadService.capture_lead``: refuse (the default), let through, or
    link the new lead to the best match's account and contact."""

    def screen(details: LeadDetails) -> LeadDetails:
        if choice is OnDuplicate.CREATE:
            return details
        with engine.db.cursor() as cur:
            candidates = DedupeIndex(schema=engine.settings.read_schema).candidates(
                cur, details.model_dump(mode="json")
            )
        if candidates and choice is OnDuplicate.ASSOCIATE:
            return associated(service, details, candidates[0].lead_id)
        if candidates:
            raise PossibleDuplicate(
                [
                    DuplicateCandidate(lead_id=c.lead_id, contact_name=c.contact_name, matched_on=list(c.matched_on))
                    for c in candidates
                ]
            )
        return details

    return screen


def associated(service: LeadService, details: LeadDetails, existing_id: UUID) -> LeadDetails:
    """``details`` linked to the account and contact of an existing lead (its conversion's, or its own links)."""
    existing = service.get_lead(existing_id)
    links = existing.conversion
    account_id = links.account_id if links else existing.details.account_id
    contact_id = links.contact_id if links else existing.details.contact_id
    if account_id is None and contact_id is None:
        raise InvalidCommand(
            f"lead {existing_id} has no account or contact to associate with; use on_duplicate=create or reject",
            field="on_duplicate",
        )
    return details.model_copy(update={"account_id": account_id, "contact_id": contact_id})
