"""The one shape of a published event (a lead's, or an account's, contact's or opportunity's:
``lead_id`` is then that record's id) that every reader sees (projections, the relay, the audit
export), whatever it was read from: the event store's log or the Kafka topic.

A lead event ``Qualified`` (class_version 1) has the type ``lead.qualified.v1``; its payload is
the event's fields as JSON, upcast to the current version, with ``meta`` included.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.utils import get_topic

from domain.base import DomainEvent
from domain.customers import Account, Contact, Opportunity
from domain.lead_events import LEAD_EVENTS

EVENT_ID_NAMESPACE = uuid5(NAMESPACE_URL, "urn:leads-engine:event")
ENVELOPE_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic"}
"""Fields of a stored event that travel as the envelope (headers), not in the payload."""


@dataclass(frozen=True)
class Envelope:
    """A lead event as published: ``type`` is e.g. ``lead.qualified.v2``; ``payload`` is the
    event's fields as JSON (metadata included), already upcast to the current version."""

    event_id: str
    type: str
    lead_id: UUID
    version: int
    time: datetime
    payload: dict[str, Any]
    notification_id: int | None = None
    traceparent: str | None = None
    """The trace the event continues (W3C trace context); travels as a header, never in the payload."""

    @property
    def name(self) -> str:
        """The type without prefix and version, e.g. ``qualified``."""
        return self.type.split(".")[1]

    @property
    def stream(self) -> str:
        """Whose event it is: ``lead``, ``account``, ``contact`` or ``opportunity``."""
        return self.type.split(".", 1)[0]

    @property
    def kind(self) -> str:
        """The type without its version, e.g. ``lead.qualified`` or ``account.registered``."""
        return self.type.rsplit(".", 1)[0]

    @property
    def actor(self) -> str:
        return str(self.payload.get("meta", {}).get("actor", ""))


def _customer_events() -> dict[type[DomainEvent], str]:
    """The customer master's events (accounts, contacts, opportunities) by class, with the
    prefix of their type: ``account.registered``, ``opportunity.stage_moved``..."""
    found: dict[type[DomainEvent], str] = {}
    for aggregate in (Account, Contact, Opportunity):
        for name, value in vars(aggregate).items():
            if isinstance(value, type) and issubclass(value, DomainEvent) and name not in ("Event", "Created"):
                snake = re.sub(r"(?<!^)(?=[A-Z])", "_", value.__name__).lower()
                found[value] = f"{aggregate.__name__.lower()}.{snake}"
    return found


CUSTOMER_EVENTS = _customer_events()
CUSTOMER_TOPICS: tuple[str, ...] = tuple(get_topic(c) for c in CUSTOMER_EVENTS)
"""The event store's topics of the customer master's events (published beside the lead's)."""


def event_type(cls: type[DomainEvent]) -> str:
    """``lead.qualified.v1``; a customer-master event is ``account.registered.v1`` and so on. The
    engine's name; on the wire it carries the reverse-DNS prefix (``domain.contract.type_names``)."""
    prefix = CUSTOMER_EVENTS.get(cls) or f"lead.{cls.type_name()}"
    return f"{prefix}.v{cls.class_version}"


CLASSES: dict[str, type[DomainEvent]] = {
    **{f"lead.{c.type_name()}": c for c in LEAD_EVENTS},
    **{kind: c for c, kind in CUSTOMER_EVENTS.items()},
}
"""Every published event class by its type without the version: ``lead.qualified``,
``account.task_scheduled``..."""

LEAD_TOPICS: tuple[str, ...] = tuple(get_topic(c) for c in LEAD_EVENTS)
"""The event store's topics of lead events (the log also holds other aggregates' events)."""
PUBLISHED_TOPICS: tuple[str, ...] = (*LEAD_TOPICS, *CUSTOMER_TOPICS)
"""What the relay publishes and the audit export reads: the lead's and the customer master's
events (not the directory's, the rotation's or the rules')."""
LEAD_STREAM: frozenset[str] = frozenset({"lead"})
EVERY_STREAM: frozenset[str] = frozenset({"lead", "account", "contact", "opportunity"})
"""The streams a read model may read (``Envelope.stream``); most read only the lead's."""
WORK_STREAMS: frozenset[str] = frozenset({"lead", "account", "opportunity"})
"""The records that carry tasks, reminders, feeds and followers."""


def topics_of(streams: frozenset[str]) -> tuple[str, ...]:
    """The event store's topics of the events of ``streams``."""
    return tuple(get_topic(c) for kind, c in CLASSES.items() if kind.split(".", 1)[0] in streams)


def event_id(lead_id: UUID, version: int) -> str:
    """Stable per (lead, version), so redeliveries carry the same CloudEvents id."""
    return str(uuid5(EVENT_ID_NAMESPACE, f"{lead_id}:{version}"))


def envelope_of(event: DomainEvent, notification_id: int | None = None) -> Envelope:
    """A domain event object as the contract shows it (history, tests)."""
    payload = event.model_dump(mode="json", exclude=ENVELOPE_FIELDS)
    traceparent = payload.get("meta", {}).pop("traceparent", None)
    return Envelope(
        event_id=event_id(event.originator_id, event.originator_version),
        type=event_type(type(event)),
        lead_id=event.originator_id,
        version=event.originator_version,
        time=event.timestamp,
        payload=payload,
        notification_id=notification_id,
        traceparent=traceparent,
    )


def envelope_from_state(
    cls: type[DomainEvent], state: dict[str, Any], *, lead_id: UUID, version: int, notification_id: int | None
) -> Envelope:
    """A stored event's decoded fields (upcast, not re-validated: readers of every event pass on
    what was validated when it was recorded; validating again cost them half their time)."""
    time = datetime.fromisoformat(state.pop("timestamp"))
    state.pop("originator_topic", None)
    meta = state.get("meta")
    traceparent = meta.pop("traceparent", None) if isinstance(meta, dict) else None
    return Envelope(
        event_id=event_id(lead_id, version),
        type=event_type(cls),
        lead_id=lead_id,
        version=version,
        time=time,
        payload=state,
        notification_id=notification_id,
        traceparent=traceparent,
    )
