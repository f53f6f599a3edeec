"""Separate processes in kafka mode: `leads relay` plus two `leads consume --projection
lead_list` in one consumer group. They share the partitions; kill -9 one and the other takes
over its partitions, with nothing lost or doubled."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
from contextlib import ExitStack

from kafka import KafkaAdminClient

from domain.values import EventMeta, LeadDetails
from infra.runtime import Engine
from infra.settings import Settings
from tests.conftest import wait_for
from tests.e2e.test_cli import LEADS
from tests.integration.helpers import lead_rows

META = EventMeta(actor="rep-1")


def env(s: Settings) -> dict[str, str]:
    return os.environ | {
        "LEADS_MODE": "kafka",
        "LEADS_POSTGRES_DSN": s.postgres_dsn or "",
        "LEADS_HOME": str(s.home),
        "LEADS_TOPIC_PREFIX": s.topic_prefix,
        "LEADS_TOPIC_PARTITIONS": str(s.topic_partitions),
        "LEADS_KAFKA_BOOTSTRAP_SERVERS": s.kafka_bootstrap_servers,
        "LEADS_CONSUMER_GROUP": s.consumer_group,
        "LEADS_CONSUMER_SESSION_TIMEOUT_MS": "6000",
    }


def members_with_partitions(s: Settings) -> int:
    group = f"{s.consumer_group}.lead_list_v4"
    admin = KafkaAdminClient(bootstrap_servers=s.kafka_bootstrap_servers)
    try:
        described = admin.describe_groups([group])[group]
    finally:
        admin.close()
    if described["group_state"] != "Stable":
        return 0
    return sum(1 for m in described["members"] if m["member_assignment"]["assigned_partitions"])


def capture(engine: Engine, n: int, tag: str) -> list[str]:
    return [
        str(
            engine.service.capture_lead(
                details=LeadDetails(contact_name=f"{tag}{i}", email=f"{tag}{i}@example.com"), meta=META
            ).lead_id
        )
        for i in range(n)
    ]


def test_two_consumers_share_the_partitions_and_one_takes_over_when_the_other_dies(kafka_engine: Engine) -> None:
    s = kafka_engine.settings
    kafka_engine.prepare_read_store()
    with ExitStack() as stack:
        relay = stack.enter_context(process(env(s), "relay"))
        first = stack.enter_context(process(env(s), "consume", "--projection", "lead_list"))
        stack.enter_context(process(env(s), "consume", "--projection", "lead_list"))
        wait_for(lambda: members_with_partitions(s) == 2, timeout=60, what="two members sharing the partitions")
        before = capture(kafka_engine, 100, "a")
        wait_for(lambda: set(before) <= set(lead_rows(kafka_engine)), timeout=60, what="the first 100 leads listed")

        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        after = capture(kafka_engine, 100, "b")
        wait_for(lambda: set(after) <= set(lead_rows(kafka_engine)), timeout=60, what="the survivor to take over")
        assert relay.poll() is None
    rows = lead_rows(kafka_engine)
    assert len(rows) == 200 and all(r["version"] == 1 for r in rows.values())


def process(environment: dict[str, str], *args: str) -> ProcessContext:
    return ProcessContext(environment, args)


class ProcessContext:
    """A `leads` subprocess stopped with SIGTERM on exit (unless already dead)."""

    def __init__(self, environment: dict[str, str], args: tuple[str, ...]) -> None:
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in __exit__)
        self.args = args
        self.proc = subprocess.Popen([LEADS, *args], env=environment, stdout=self.log, stderr=subprocess.STDOUT)

    def __enter__(self) -> subprocess.Popen[bytes]:
        return self.proc

    def __exit__(self, *_: object) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)
        self.log.seek(0)
        print(f"--- leads {' '.join(self.args)} (pid {self.proc.pid}) ---")  # shown by pytest when the test fails
        print(self.log.read().decode(errors="replace")[-20_000:])
        self.log.close()
