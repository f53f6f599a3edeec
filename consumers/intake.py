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

from consumers.intake_commands import HANDLERS, Context, details_of
from consumers.intake_reading import Received, Rejected, first_error, read_message
from consumers.log_context import handling
from consumers.ports import Message, MessageStream, Producer
from consumers.tracing import span, traceparent_of
from domain.command_handling import BatchConflict
from domain.contract.intake import CaptureLead
from domain.duplicates import ChunkFinder, Screen, Screened, flag_many
from domain.errors import DomainError, Unavailable
from domain.service import LeadService

log = logging.getLogger(__name__)


INFRASTRUCTURE = (StoreOperationalError, StoreInterfaceError, Unavailable)
"""Failures of the stores (the events', or the read store the duplicate screen asks), not of a
message: the batch is applied again later."""


def apply_received(service: LeadService, received: Received, screen: Screen | None) -> None:
    """Apply a message read, or raise :class:`Rejected` when the domain refuses it. Its events
    keep the trace it continues (tracing on), so the relay and projections continue it too."""
    with handling(received.event_id), span("receive lead-intake", received.producer, SpanKind.CONSUMER) as span_:
        traceparent = traceparent_of(span_)
        meta = received.meta.model_copy(update={"traceparent": traceparent}) if traceparent else received.meta
        try:
            HANDLERS[received.command](Context(service, meta, received.time, screen), received.message)
        except Unavailable:
            raise
        except DomainError as e:
            raise Rejected("domain", f"{type(e).__name__}: {e}") from None
        except ValidationError as e:
            raise Rejected("validate", first_error(e, "data")) from None


def apply_message(
    service: LeadService, headers: list[tuple[str, bytes]], value: bytes | None, screen: Screen | None = None
) -> None:
    """Decode, validate and apply one intake message, or raise :class:`Rejected`."""
    apply_received(service, read_message(headers, value), screen)


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
        finder: ChunkFinder | None = None,
    ) -> None:
        """``finder``: where captures' look-alikes are found (flagged, never refused): the read
        model's look-up combined with the write side's claims, asked once per batch."""
        self.finder = finder
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
        """Read the polled batch, screen its captures together, and apply it in ONE transaction;
        if that save fails for any reason but the store's own trouble (a lost race, an event that
        cannot be saved), one by one, so that only the message at fault is dead-lettered."""
        try:
            received, rejected = self._read_each(batch)
            screens = self._screens(received)
            try:
                with self.service.batch(assume_new=True):
                    refused = self._apply_each(received, screens)
            except INFRASTRUCTURE:
                raise
            except Exception as e:
                if not isinstance(e, BatchConflict):
                    log.warning("intake: a batch could not be saved (%s); applying it message by message", e)
                refused = self._apply_each(received, screens)
            dead = []
            for m, refusal in rejected + refused:
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

    def _read_each(self, batch: list[Message]) -> tuple[list[tuple[Message, Received]], list[tuple[Message, Rejected]]]:
        """Each message read and validated, or why it was refused."""
        received, rejected = [], []
        for m in batch:
            with handling(ce_id_of(m)):
                try:
                    received.append((m, read_message(list(m.headers), m.value)))
                except Rejected as e:
                    rejected.append((m, e))
                except Exception as e:
                    log.exception("intake: message %s/%s@%s could not be read", m.topic, m.partition, m.offset)
                    rejected.append((m, Rejected("error", f"{type(e).__name__}: {e}")))
        return received, rejected

    def _screens(self, received: list[tuple[Message, Received]]) -> dict[str, Screen]:
        """Each capture's duplicate screen by event id, answered from one look-up per finder for
        the whole batch."""
        captures = [(r.event_id, details_of(r.message)) for _, r in received if isinstance(r.message, CaptureLead)]
        if self.finder is None or not captures:
            return {}
        flagged = flag_many(self.finder, [d for _, d in captures], claims_read=True)
        return {event_id: _answer(screened) for (event_id, _), screened in zip(captures, flagged, strict=True)}

    def _apply_each(
        self, received: list[tuple[Message, Received]], screens: dict[str, Screen]
    ) -> list[tuple[Message, Rejected]]:
        """Every message's effect, or why it was refused. A message that breaks the engine in a
        way nobody foresaw is dead-lettered with the error rather than retried forever."""
        rejected = []
        for m, r in received:
            try:
                apply_received(self.service, r, screens.get(r.event_id))
            except Rejected as e:
                rejected.append((m, e))
            except INFRASTRUCTURE:
                raise
            except Exception as e:
                with handling(r.event_id):
                    log.exception("intake: message %s/%s@%s could not be applied", m.topic, m.partition, m.offset)
                rejected.append((m, Rejected("error", f"{type(e).__name__}: {e}")))
        return rejected

    def _retry_later(self, reason: str) -> None:
        self.status = f"retrying: {reason}"
        log.warning("intake: %s", self.status)
        self.stop.wait(1.0)


def _answer(screened: Screened) -> Screen:
    """A screen that answers what the batch's look-up found for its capture."""
    return lambda _details: screened


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
