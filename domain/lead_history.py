"""Reading the write side: a lead now, at a version, or as it was at a time (``as_of``), and
its whole history. Compliance reviewers replay from here, never from a read model."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.base import DomainEvent
from domain.command_handling import CommandApplication
from domain.errors import NoSuchVersion, NotFound
from domain.lead import Lead


class ReadsLeadHistory(CommandApplication):
    def get_lead(self, lead_id: UUID, *, version: int | None = None) -> Lead:
        """The lead now, or as it was at ``version`` (which must exist: no version past the last)."""
        lead = self._load(Lead, lead_id, None, version=version)
        if version is not None and lead.version != version:
            raise NoSuchVersion(lead_id=lead_id, field="version", asked=version, head=lead.version)
        return lead

    def lead_as_of(self, lead_id: UUID, at: datetime) -> Lead:
        """The lead as it was at ``at``: rebuilt up to its last event recorded at or before then."""
        version = None
        history = self.history(lead_id)
        for event in history:
            if event.timestamp > at:
                break
            version = event.originator_version
        if version is None:
            raise NoSuchVersion(lead_id=lead_id, field="as_of", asked=at.isoformat(), head=len(history))
        return self.get_lead(lead_id, version=version)

    def history(self, lead_id: UUID) -> list[DomainEvent]:
        events = [e for e in self.events.get(lead_id) if isinstance(e, DomainEvent)]
        if not events:
            raise NotFound("lead", lead_id)
        return events
