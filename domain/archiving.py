"""Taking leads out of play without losing them: archive (undone by unarchive) hides a lead from
the default lists; an admin's soft delete takes it out of every list for good and freezes it.
Both are events in the lead's history. Erasure stays the path for personal data."""

from __future__ import annotations

from uuid import UUID

from domain.command_handling import CommandApplication, CommandResult
from domain.values import EventMeta


class ArchivesLeads(CommandApplication):
    def archive(
        self, *, lead_id: UUID, meta: EventMeta, reason: str | None = None, expected_version: int | None = None
    ) -> CommandResult:
        return self._change(
            "archive", lead_id, meta, expected_version, lambda lead: lead.archive(reason=reason, meta=meta)
        )

    def unarchive(self, *, lead_id: UUID, meta: EventMeta, expected_version: int | None = None) -> CommandResult:
        return self._change("unarchive", lead_id, meta, expected_version, lambda lead: lead.unarchive(meta=meta))

    def delete(
        self, *, lead_id: UUID, reason: str, meta: EventMeta, expected_version: int | None = None
    ) -> CommandResult:
        return self._change(
            "delete", lead_id, meta, expected_version, lambda lead: lead.delete(reason=reason, meta=meta)
        )
