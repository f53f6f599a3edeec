"""The `leads` command as an operator runs it: serve, stop, restart, and bad configuration."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from tests.conftest import wait_for

LEADS = shutil.which("leads") or str(Path(os.sys.executable).parent / "leads")  # type: ignore[attr-defined]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(env: dict[str, str]) -> Iterator[tuple[str, dict[str, str]]]:
    """`leads serve` in a subprocess: yields its URL and an admin's auth headers."""
    port = free_port()
    proc = subprocess.Popen(
        [LEADS, "serve"],
        env=os.environ | env | {"LEADS_API_PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: proc.poll() is not None or _answers(url), timeout=60, what="leads serve to answer")
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        token = subprocess.run(
            [LEADS, "token", "--user", "ops", "--role", "admin"],
            env=os.environ | env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        yield url, {"Authorization": f"Bearer {token}"}
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, output
        assert "leads: stopped" in output


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=1).status_code in (200, 503)
    except httpx.HTTPError:
        return False


def listed_ids(url: str, headers: dict[str, str]) -> list[str]:
    return [i["lead_id"] for i in httpx.get(f"{url}/leads", params={"limit": 500}, headers=headers).json()["items"]]


def test_serve_on_a_fresh_home_answers_docs_and_lists_a_posted_lead_within_a_second(tmp_path: Path) -> None:
    """The README run command: embedded PostgreSQL under LEADS_HOME, no broker."""
    with serving({"LEADS_HOME": str(tmp_path / "home")}) as (url, auth):
        assert httpx.get(f"{url}/docs").status_code == 200
        assert httpx.get(f"{url}/health").json()["status"] == "ok"
        lead_id = httpx.post(
            f"{url}/leads", json={"contact_name": "Ada", "email": "ada@example.com"}, headers=auth
        ).json()["lead_id"]
        posted = time.monotonic()
        wait_for(lambda: lead_id in listed_ids(url, auth), timeout=1.0, what="the lead listed within one second")
        assert time.monotonic() - posted <= 1.0


def test_stopping_and_restarting_serve_loses_nothing_and_projects_nothing_twice(
    database_dsn: str, tmp_path: Path
) -> None:
    env = {"LEADS_POSTGRES_DSN": database_dsn, "LEADS_HOME": str(tmp_path)}
    created: list[str] = []
    for round_ in range(3):
        with serving(env) as (url, auth):
            for i in range(10):
                body: dict[str, Any] = {"contact_name": f"Lead {round_}-{i}", "email": f"l{round_}{i}@example.com"}
                created.append(httpx.post(f"{url}/leads", json=body, headers=auth).json()["lead_id"])
            wait_for(lambda: len(listed_ids(url, auth)) == len(created), what="all leads listed")
    with serving(env) as (url, auth):
        ids = listed_ids(url, auth)
        assert sorted(ids) == sorted(created) and len(ids) == len(set(ids))
        consumers = httpx.get(f"{url}/health").json()["components"]["consumers"]
        assert consumers["lead_list_v4"]["lag"] == 0


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"LEADS_POSTGRES_DSN": "postgresql://nobody@127.0.0.1:1/leads"},
            "cannot connect to PostgreSQL at 127.0.0.1:1/leads",
        ),
        (
            {"LEADS_MODE": "kafka", "LEADS_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1", "LEADS_CONNECT_TIMEOUT_S": "2"},
            "cannot reach Kafka at 127.0.0.1:1",
        ),
        ({"LEADS_MODE": "sideways"}, "invalid settings"),
    ],
)
def test_bad_configuration_fails_fast_with_one_line_saying_what_and_where(
    env: dict[str, str], expected: str, database_dsn: str, tmp_path: Path
) -> None:
    base = {"LEADS_POSTGRES_DSN": database_dsn, "LEADS_HOME": str(tmp_path)}
    done = subprocess.run([LEADS, "serve"], env=os.environ | base | env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.startswith("leads:")]
    assert len(lines) == 1 and expected in lines[0], done.stderr
    assert "Traceback" not in done.stderr


def test_schema_events_exports_a_json_schema_per_published_event_type() -> None:
    import json

    done = subprocess.run([LEADS, "schema", "events"], capture_output=True, text=True, timeout=60, check=True)
    schemas = json.loads(done.stdout)
    names = ("captured.v1", "qualified.v1", "disqualified.v2", "converted.v2")
    assert {f"org.leads-engine.lead.{t}" for t in names} <= set(schemas)
    disqualified = schemas["org.leads-engine.lead.disqualified.v2"]
    assert "reason_code" in disqualified["required"] and "originator_id" not in disqualified["properties"]
    assert "meta" in disqualified["required"]


def postgres_processes(home: Path) -> list[int]:
    """PostgreSQL server processes whose data directory is under ``home``."""
    found = []
    for p in psutil.process_iter(["pid", "name", "cmdline"]):
        cmdline = p.info["cmdline"] or []
        if p.info["name"] == "postgres" and any(str(home) in arg for arg in cmdline):
            found.append(p.info["pid"])
    return found


def start_serving(home: Path) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    env = os.environ | {"LEADS_HOME": str(home), "LEADS_API_PORT": str(port)}
    proc = subprocess.Popen([LEADS, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: proc.poll() is not None or _answers(url), timeout=60, what="leads serve to answer")
    assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
    return proc, url


def test_sigterm_stops_serve_within_ten_seconds_mid_upload_and_takes_postgres_down(tmp_path: Path) -> None:
    home = tmp_path / "home"
    proc, url = start_serving(home)
    assert postgres_processes(home)
    stuck = socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])))
    try:
        stuck.sendall(
            b"POST /forms/contact HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 60000\r\n\r\nname=Ada&message=" + b"x" * 1000
        )  # and never the rest
        time.sleep(0.5)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=15)
        assert time.monotonic() - started < 10
        wait_for(lambda: not postgres_processes(home), timeout=5, what="no PostgreSQL process left behind")
    finally:
        stuck.close()
        if proc.poll() is None:
            proc.kill()


def test_after_a_kill_9_no_postgres_is_left_and_the_next_start_works(tmp_path: Path) -> None:
    home = tmp_path / "home"
    proc, _ = start_serving(home)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    wait_for(lambda: not postgres_processes(home), timeout=10, what="the embedded PostgreSQL to stop with its engine")
    with serving({"LEADS_HOME": str(home)}) as (url, auth):
        created = httpx.post(f"{url}/leads", json={"contact_name": "Ada", "email": "ada@example.com"}, headers=auth)
        assert created.status_code == 201, created.text
    wait_for(lambda: not postgres_processes(home), timeout=10, what="PostgreSQL to stop after a clean stop too")
