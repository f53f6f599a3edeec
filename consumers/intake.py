"""The intake consumer: applies what other services publish to ``<prefix>lead-intake``.

Each message is read with the ``cloudevents`` SDK (binary or structured mode), validated
against its model and applied through the application service with its CloudEvents id as the
idempotency key, so redelivery changes nothing. A message that cannot be parsed, fails
validation or is refused by the domain goes to the dead-letter topic with its original bytes
and headers plus the reason; the consumer never stalls on it. Offsets are committed only after
every effect of the batch (and every dead letter) is durable.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

from eventsourcing.persistence import InterfaceError as StoreInterfaceError
from eventsourcing.persistence import OperationalError as StoreOperationalError
from opentelemetry.trace import SpanKind
from pydantic import ValidationError

from consumers.intake_commands import HANDLERS, Context
from consumers.intake_parsing import IntakeEvent, Unreadable, is_structured, read_event, text
from consumers.log_context import handling
from consumers.ports import Message, MessageStream, Producer
from consumers.tracing import span, traceparent_of
from domain import limits
from domain.command_handling import BatchConflict
from domain.contract.intake import INTAKE_TYPES, MESSAGES, intake_command
from domain.duplicates import Screen
from domain.errors import DomainError, Unavailable
from domain.service import LeadService
from domain.values import Channel, EventMeta, scoped_command_id

log = logging.getLogger(__name__)


class Rejected(Exception):
    """A message the engine will not apply; ``stage`` is parse, validate or domain."""

    def __init__(self, stage: str, reason: str) -> None:
        super().__init__(reason)
        self.stage = stage
        self.reason = reason


INFRASTRUCTURE = (StoreOperationalError, StoreInterfaceError, Unavailable)
"""Failures of the stores (the events', or the read store the duplicate screen asks), not of a
message: the batch is applied again later."""


def apply_message(
    service: LeadService, headers: list[tuple[str, bytes]], value: bytes | None, screen: Screen | None = None
) -> None:
    """Decode, validate and apply one intake message, or raise :class:`Rejected`."""
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
    with handling(str(event["id"])), span("receive lead-intake", producer, SpanKind.CONSUMER) as received:
        apply_event(
            service,
            event,
            screen,
            structured=is_structured(dict(headers or [])),
            traceparent=traceparent_of(received),
        )


def apply_event(
    service: LeadService, event: IntakeEvent, screen: Screen | None, *, structured: bool, traceparent: str | None
) -> None:
    """``structured``: whether the event came in structured mode (refusals name the attribute,
    not the header); ``traceparent``: the trace of the producer the message continues (tracing
    on), kept with the events it causes so the relay and projections continue it too."""

    def named(attribute: str) -> str:
        return f"attribute {attribute}" if structured else f"header ce_{attribute}"

    ce_type, source = str(event["type"]), str(event["source"])
    command = intake_command(ce_type)
    if command is None:
        raise Rejected("parse", f"unknown ce_type {ce_type!r}; known: {', '.join(sorted(INTAKE_TYPES))}")
    data = event.get_data()
    time = message_time(text(event, "time"), named("time"))
    model, handler = MESSAGES[command], HANDLERS[command]
    try:
        message = model.model_validate(data)
    except ValidationError as e:
        raise Rejected("validate", first_error(e, "data")) from None
    try:
        meta = EventMeta(
            actor=source,
            channel=Channel.INTAKE,
            command_id=scoped_command_id(source, str(event["id"])),
            correlation_id=text(event, "correlationid"),
            causation_id=str(event["id"]),
            traceparent=traceparent,
        )
    except ValidationError as e:
        raise Rejected("validate", "header " + first_error(e, "headers").replace("actor", "ce_source", 1)) from None
    try:
        handler(Context(service, meta, time, screen), message)
    except Unavailable:
        raise
    except DomainError as e:
        raise Rejected("domain", f"{type(e).__name__}: {e}") from None
    except ValidationError as e:
        raise Rejected("validate", first_error(e, "data")) from None


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


class IntakeConsumer:
    name = "intake"

    def __init__(
        self,
        *,
        service: LeadService,
        stream: MessageStream,
        producer: Producer,
        topic: str,
        dlq_topic: str,
        stop: threading.Event,
        idle_wait_s: float,
        batch_size: int,
        screen: Screen | None = None,
    ) -> None:
        """``screen``: how captures are checked for duplicates (flagged, never refused)."""
        self.screen = screen
        self.service = service
        self.stream = stream
        self.producer = producer
        self.topic = topic
        self.dlq_topic = dlq_topic
        self.stop = stop
        self.idle_wait_s = idle_wait_s
        self.batch_size = batch_size
        self.status = "starting"

    def run(self) -> None:
        self.stream.subscribe()
        self.status = "running"
        try:
            while not self.stop.is_set():
                try:
                    batch = self.stream.poll(timeout_s=self.idle_wait_s, max_records=self.batch_size)
                except Exception as e:
                    self._retry_later(f"polling {self.topic} failed: {e}")
                    continue
                if batch:
                    self._process(batch)
            self.status = "stopped"
        finally:
            self.stream.close()
            self.producer.close()

    def _process(self, batch: list[Message]) -> None:
        """Apply the polled batch in ONE transaction; if that save fails for any reason but the
        store's own trouble (a lost race, an event that cannot be saved), one by one, so that
        only the message at fault is dead-lettered."""
        try:
            try:
                with self.service.batch(assume_new=True):
                    rejected = self._apply_each(batch)
            except INFRASTRUCTURE:
                raise
            except Exception as e:
                if not isinstance(e, BatchConflict):
                    log.warning("intake: a batch could not be saved (%s); applying it message by message", e)
                rejected = self._apply_each(batch)
            dead = []
            for m, refusal in rejected:
                with handling(ce_id_of(m)):
                    log.warning("intake: dead-lettered at %s: %s", refusal.stage, refusal.reason)
                dead.append(
                    self.producer.send(
                        self.dlq_topic, key=m.key, value=m.value, headers=[*m.headers, *dead_letter_headers(m, refusal)]
                    )
                )
            self.producer.flush()
            for future in dead:
                future.get(timeout=30)
        except Exception as e:
            # Infrastructure trouble (database, broker): apply the batch again later; effects are idempotent.
            self.stream.rewind(batch)
            self._retry_later(str(e))
            return
        try:
            self.stream.commit(batch)
        except Exception as e:
            # Lost the partitions in a rebalance: their next owner re-reads from the last commit,
            # and re-applying is harmless because every effect is idempotent by ce_id.
            log.info("intake: commit skipped (%s); the batch will be redelivered and deduped", e)
        self.status = "running"

    def _apply_each(self, batch: list[Message]) -> list[tuple[Message, Rejected]]:
        """Every message's effect, or why it was refused. A message that breaks the engine in a
        way nobody foresaw is dead-lettered with the error rather than retried forever."""
        rejected = []
        for m in batch:
            with handling(ce_id_of(m)):
                try:
                    apply_message(self.service, list(m.headers), m.value, self.screen)
                except Rejected as e:
                    rejected.append((m, e))
                except INFRASTRUCTURE:
                    raise
                except Exception as e:
                    log.exception("intake: message %s/%s@%s could not be applied", m.topic, m.partition, m.offset)
                    rejected.append((m, Rejected("error", f"{type(e).__name__}: {e}")))
        return rejected

    def _retry_later(self, reason: str) -> None:
        self.status = f"retrying: {reason}"
        log.warning("intake: %s", self.status)
        self.stop.wait(1.0)


def ce_id_of(record: Message) -> str | None:
    """The message's CloudEvents id, for its log lines (binary mode: the ``ce_id`` header)."""
    found = next((v for k, v in record.headers or [] if k == "ce_id"), None)
    return found.decode("utf-8", "replace") if found is not None else None


def dead_letter_headers(record: Message, error: Rejected) -> list[tuple[str, bytes]]:
    return [
        ("dlq_reason", error.reason.encode()),
        ("dlq_stage", error.stage.encode()),
        ("dlq_topic", record.topic.encode()),
        ("dlq_partition", str(record.partition).encode()),
        ("dlq_offset", str(record.offset).encode()),
        ("dlq_time", datetime.now(UTC).isoformat().encode()),
    ]
