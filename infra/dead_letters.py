"""The dead-letter workflow for operators: list the refused intake messages (filtered), read one,
replay it to intake (as it was, or with a corrected payload) or discard it with a reason.

Each record is named by where it is on the dead-letter topic (``partition:offset``). A record is
resolved once: the action is recorded in ``dlq_actions`` (who, when, why) under a unique key
before the message goes back to intake, so a second replay or discard of it is refused and a
replay never loops. A replayed message that fails again is dead-lettered as a new record, marked
``dlq_replayed_from``, and waits for a person like any other; nothing is re-sent on its own.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from domain import limits
from domain.errors import DeadLetterResolved, InvalidCommand, NotFound, Unavailable
from infra.postgres import Database

DDL = """
CREATE TABLE IF NOT EXISTS {schema}.dlq_actions (
    id          bigserial   PRIMARY KEY,
    record      text        NOT NULL,
    action      text        NOT NULL CHECK (action IN ('replayed', 'discarded')),
    actor       text        NOT NULL,
    reason      text        NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    corrected   boolean     NOT NULL DEFAULT false,
    ce_type     text,
    ce_id       text
);
CREATE UNIQUE INDEX IF NOT EXISTS dlq_actions_once ON {schema}.dlq_actions (record)
"""
REPLAYED_FROM = "dlq_replayed_from"


def _missing(text: str) -> NotFound:
    return NotFound("dead letter", text)


@dataclass(frozen=True)
class DeadLetter:
    record: str
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]

    @property
    def h(self) -> dict[str, str]:
        return {k: v.decode("utf-8", "replace") for k, v in self.headers}

    def summary(self, status: str) -> dict[str, Any]:
        h = self.h
        return {
            "id": self.record,
            "status": status,
            "stage": h.get("dlq_stage"),
            "reason": h.get("dlq_reason"),
            "failed_at": h.get("dlq_time"),
            "original": f"{h.get('dlq_topic')}/{h.get('dlq_partition')}@{h.get('dlq_offset')}",
            "ce_type": h.get("ce_type"),
            "ce_id": h.get("ce_id"),
            "ce_source": h.get("ce_source"),
            "replayed_from": h.get(REPLAYED_FROM),
        }

    def full(self, status: str, actions: list[dict[str, Any]]) -> dict[str, Any]:
        try:
            value: dict[str, str] = {"text": self.value.decode("utf-8")}
        except UnicodeDecodeError:
            value = {"base64": base64.b64encode(self.value).decode()}
        return self.summary(status) | {
            "key": (self.key or b"").decode("utf-8", "replace"),
            "headers": self.h,
            "value": value,
            "actions": actions,
        }


def record_id(text: str) -> tuple[int, int]:
    """``0:17`` (or ``17``, partition 0) → (partition, offset)."""
    parts = text.strip().split(":")
    try:
        numbers = [int(p) for p in parts]
    except ValueError:
        numbers = []
    if len(numbers) not in (1, 2) or any(n < 0 or n >= 2**63 for n in numbers):
        raise InvalidCommand(f"{text[:40]!r} is no dead-letter id; ids look like 0:17 (partition:offset)", field="id")
    return (0, numbers[0]) if len(numbers) == 1 else (numbers[0], numbers[1])


class DeadLetters:
    def __init__(
        self,
        *,
        db: Database,
        schema: str,
        bootstrap_servers: str,
        dlq_topic: str,
        intake_topic: str,
        producer: Callable[[], KafkaProducer] | None = None,
    ) -> None:
        """``producer``: makes the producer replays go through (made on the first replay)."""
        self.make_producer = producer
        self.producer: KafkaProducer | None = None
        self.db = db
        self.table = f"{schema}.dlq_actions"
        self.schema = schema
        self.servers = bootstrap_servers
        self.dlq_topic = dlq_topic
        self.intake_topic = intake_topic
        with self.db.cursor() as cur:
            cur.execute(DDL.format(schema=schema))

    # -- reading ------------------------------------------------------------------------------

    @contextmanager
    def _consumer(self) -> Iterator[tuple[KafkaConsumer, list[TopicPartition]]]:
        consumer = KafkaConsumer(bootstrap_servers=self.servers, enable_auto_commit=False)
        try:
            parts = sorted(consumer.partitions_for_topic(self.dlq_topic) or [])
            yield consumer, [TopicPartition(self.dlq_topic, p) for p in parts]
        finally:
            consumer.close()

    def all(self) -> list[DeadLetter]:
        with self._consumer() as (consumer, partitions):
            consumer.assign(partitions)
            consumer.seek_to_beginning(*partitions)
            ends = consumer.end_offsets(partitions)
            found: list[DeadLetter] = []
            while any(consumer.position(tp) < end for tp, end in ends.items()):
                for tp, records in consumer.poll(timeout_ms=1000).items():
                    found += [_letter(r) for r in records if r.offset < ends[tp]]
            return found

    def one(self, text: str) -> DeadLetter:
        partition, offset = record_id(text)
        with self._consumer() as (consumer, partitions):
            tp = TopicPartition(self.dlq_topic, partition)
            if tp not in partitions:
                raise _missing(f"{partition}:{offset} (no partition {partition})")
            consumer.assign([tp])
            first, end = consumer.beginning_offsets([tp])[tp], consumer.end_offsets([tp])[tp]
            if not first <= offset < end:
                raise _missing(f"{partition}:{offset} (the topic holds {first} to {end - 1})")
            consumer.seek(tp, offset)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                for record in consumer.poll(timeout_ms=1000).get(tp, []):
                    if record.offset == offset:
                        return _letter(record)
            raise Unavailable(f"dead letter {partition}:{offset} could not be read within 30 s")

    def statuses(self) -> dict[str, str]:
        with self.db.cursor() as cur:
            cur.execute(f"SELECT record, action FROM {self.table}")
            return dict(cur.fetchall())

    def actions(self, record: str | None = None) -> list[dict[str, Any]]:
        """The DLQ's own audit: every replay and discard, oldest first."""
        where, args = ("WHERE record = %s", (record,)) if record else ("", ())
        with self.db.cursor() as cur:
            cur.execute(
                f"SELECT record, action, actor, reason, at, corrected, ce_type, ce_id FROM {self.table} {where} "
                "ORDER BY id",
                args,
            )
            cols = ["record", "action", "actor", "reason", "at", "corrected", "ce_type", "ce_id"]
            rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
        return [r | {"at": r["at"].isoformat()} for r in rows]

    def listing(
        self,
        *,
        status: str | None = None,
        stage: str | None = None,
        ce_type: str | None = None,
        source: str | None = None,
        since: datetime | None = None,
        text: str | None = None,
    ) -> list[dict[str, Any]]:
        statuses = self.statuses()
        shown = []
        for letter in self.all():
            row = letter.summary(statuses.get(letter.record, "open"))
            failed = _time(row["failed_at"])
            if (
                (status and row["status"] != status)
                or (stage and row["stage"] != stage)
                or (ce_type and row["ce_type"] != ce_type)
                or (source and row["ce_source"] != source)
                or (since and (failed is None or failed < since))
                or (text and text.lower() not in (row["reason"] or "").lower())
            ):
                continue
            shown.append(row)
        return shown

    # -- acting -------------------------------------------------------------------------------

    def show(self, text: str) -> dict[str, Any]:
        """One record whole, with its status and the actions taken on it."""
        letter = self.one(text)
        return letter.full(self.statuses().get(letter.record, "open"), self.actions(letter.record))

    def replay(
        self, text: str, *, actor: str, reason: str, payload: bytes | None, producer: KafkaProducer | None = None
    ) -> str:
        """Send the record back to intake once, as it was or with ``payload`` instead."""
        if producer is None:
            if self.producer is None:
                assert self.make_producer is not None, "no producer to replay through"
                self.producer = self.make_producer()
            producer = self.producer
        letter = self.one(text)
        if payload is not None and len(payload) > limits.current().intake_message_bytes:
            most = limits.current().intake_message_bytes
            raise InvalidCommand(
                f"the corrected payload has {len(payload)} bytes; intake takes at most {most}", field="payload"
            )
        headers = [(k, v) for k, v in letter.headers if not k.startswith("dlq_")]
        headers.append((REPLAYED_FROM, f"{self.dlq_topic}/{letter.record}".encode()))
        with self._resolving(letter, "replayed", actor, reason, corrected=payload is not None):
            future = producer.send(
                self.intake_topic, key=letter.key, value=letter.value if payload is None else payload, headers=headers
            )
            producer.flush()
            future.get(timeout=30)
        return letter.record

    def discard(self, text: str, *, actor: str, reason: str) -> str:
        letter = self.one(text)
        with self._resolving(letter, "discarded", actor, reason, corrected=False):
            pass
        return letter.record

    @contextmanager
    def _resolving(
        self, letter: DeadLetter, action: str, actor: str, reason: str, *, corrected: bool
    ) -> Iterator[None]:
        """Record the action, do it, commit; a record already resolved is refused saying how."""
        if not reason.strip():
            raise InvalidCommand(f"say why the dead letter is {action} (reason)", field="reason")
        for name, value in (("reason", reason), ("actor", actor)):
            problem = limits.unstorable(value)
            if problem or len(value) > 2000:
                raise InvalidCommand(f"{name}: {problem or 'at most 2000 characters'}", field=name)
        h = letter.h
        with self.db.cursor() as cur:
            cur.execute(
                f"""INSERT INTO {self.table} (record, action, actor, reason, corrected, ce_type, ce_id)
                    VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (record) DO NOTHING RETURNING id""",
                (letter.record, action, actor, reason, corrected, h.get("ce_type"), h.get("ce_id")),
            )
            if cur.fetchone() is None:
                cur.execute(f"SELECT action, actor, at FROM {self.table} WHERE record = %s", (letter.record,))
                [(done, who, at)] = cur.fetchall()  # the row whose conflict skipped the insert
                raise DeadLetterResolved(letter.record, done, who, at.isoformat())
            yield


def _letter(record: Any) -> DeadLetter:
    return DeadLetter(
        f"{record.partition}:{record.offset}", record.key, record.value or b"", list(record.headers or [])
    )


def _time(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
