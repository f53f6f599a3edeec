"""Commands and write-side reads on the customer master: an opportunity's stage, amount,
probability and close date (each change an event), and the history of an account, a contact
or an opportunity."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from domain.base import DomainEvent
from domain.command_handling import SAVE_ATTEMPTS, CommandApplication, CommandResult
from domain.customers import Account, Contact, Opportunity
from domain.errors import NotFound, VersionConflict
from domain.values import EventMeta

KINDS: dict[str, type[Account | Contact | Opportunity]] = {
    "account": Account,
    "contact": Contact,
    "opportunity": Opportunity,
}


class CustomerCommands(CommandApplication):
    def change_opportunity(
        self,
        *,
        opportunity_id: UUID,
        meta: EventMeta,
        stage: str | None = None,
        amount: Decimal | None = None,
        probability: int | None = None,
        close_date: date | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        """Load, change, save; a lost race is retried on fresh state unless a version was expected."""
        for attempt in range(SAVE_ATTEMPTS):
            done = self._previous_result("change_opportunity", meta)
            if done:
                return done
            opportunity = self._load(Opportunity, opportunity_id, expected_version)
            opportunity.change(meta=meta, stage=stage, amount=amount, probability=probability, close_date=close_date)
            try:
                return self._save("change_opportunity", meta, opportunity, opportunity)
            except VersionConflict:
                if expected_version is not None or attempt == SAVE_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no mutate: the loop above always returns or raises

    def customer_history(self, kind: str, record_id: UUID) -> list[DomainEvent]:
        """Every event of the account, contact or opportunity (NotFound if it is not one)."""
        self._load(KINDS[kind], record_id, None)
        return [e for e in self.events.get(record_id) if isinstance(e, DomainEvent)]

    def customer_users(self, kind: str, record_id: UUID) -> set[str]:
        """Who acted on the record (what the caller's scope is matched against), from its events."""
        events = self.customer_history(kind, record_id)
        if not events:
            raise NotFound(kind, record_id)
        return {e.meta.actor for e in events}
