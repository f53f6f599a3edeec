"""Reading an intake message: its size checked, parsed as a CloudEvent
(``consumers.intake_parsing``), its data validated against its model and its metadata made,
each failure a :class:`Rejected` saying at which stage and why. Nothing is applied here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import BaseModel, ValidationError

from consumers.intake_parsing import IntakeEvent, Unreadable, is_structured, read_event, text
from domain import limits
from domain.contract.intake import INTAKE_TYPES, MESSAGES, intake_command
from domain.picklists import Channel
from domain.values import EventMeta, scoped_command_id


class Rejected(Exception):
    """A message the engine will not apply; ``stage`` is parse, validate or domain."""

    def __init__(self, stage: str, reason: str) -> None:
        super().__init__(reason)
        self.stage = stage
        self.reason = reason


@dataclass(frozen=True)
class Received:
    """An intake message read and validated, not applied yet: a batch is read whole first, so
    its captures are screened for duplicates together."""

    event_id: str
    command: str
    message: BaseModel
    meta: EventMeta
    time: datetime
    producer: str | None
    """The producer's ``traceparent``, which applying the message continues."""


def read_message(headers: list[tuple[str, bytes]], value: bytes | None) -> Received:
    """Decode and validate one intake message, or raise :class:`Rejected`."""
    size = len(value or b"") + sum(len(k) + len(v) for k, v in headers or [])
    most = limits.current().intake_message_bytes
    if size > most:
        raise Rejected("limit", f"the message has {size} bytes; intake takes at most {most} (intake_message_bytes)")
    try:
        event = read_event(headers, None, value)
    except Unreadable as e:
        raise Rejected("parse", str(e)) from None
    producer = text(event, "traceparent") or next(
        (v.decode("latin-1") for k, v in headers or [] if k.lower() == "traceparent"), None
    )
    return read_event_fields(event, structured=is_structured(dict(headers or [])), producer=producer)


def read_event_fields(event: IntakeEvent, *, structured: bool, producer: str | None) -> Received:
    """``structured``: whether the event came in structured mode (refusals name the attribute,
    not the header)."""

    def named(attribute: str) -> str:
        return f"attribute {attribute}" if structured else f"header ce_{attribute}"

    ce_type, source = str(event["type"]), str(event["source"])
    command = intake_command(ce_type)
    if command is None:
        raise Rejected("parse", f"unknown ce_type {ce_type!r}; known: {', '.join(sorted(INTAKE_TYPES))}")
    data = event.get_data()
    time = message_time(text(event, "time"), named("time"))
    try:
        message = MESSAGES[command].model_validate(data)
    except ValidationError as e:
        raise Rejected("validate", first_error(e, "data")) from None
    try:
        meta = EventMeta(
            actor=source,
            channel=Channel.INTAKE,
            command_id=scoped_command_id(source, str(event["id"])),
            correlation_id=text(event, "correlationid"),
            causation_id=str(event["id"]),
        )
    except ValidationError as e:
        raise Rejected("validate", "header " + first_error(e, "headers").replace("actor", "ce_source", 1)) from None
    return Received(str(event["id"]), command, message, meta, time, producer)


def message_time(value: str | None, name: str) -> datetime:
    """The event's time (RFC 3339, with its offset), or now when the message has none."""
    if value is None:
        return datetime.now(UTC)
    try:
        time = datetime.fromisoformat(value)
    except ValueError:
        raise Rejected("parse", f"{name}: {value[:64]!r} is not an RFC 3339 time") from None
    if time.tzinfo is None:
        raise Rejected("parse", f"{name}: {value[:64]!r} has no timezone; add its offset (such as +00:00 or Z)")
    return time


def first_error(error: ValidationError, default: str) -> str:
    """``field.path: what is wrong`` of a validation failure's first error."""
    first = error.errors()[0]
    return f"{'.'.join(str(p) for p in first['loc']) or default}: {first['msg']}"
