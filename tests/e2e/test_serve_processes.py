"""`leads serve` runs the projections and monitors in supervised processes of its own: a killed
one comes back, reads stay consistent across processes, and nothing outlives serve."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
from pathlib import Path

import httpx
import psutil

from tests.conftest import wait_for
from tests.e2e.test_cli import LEADS, _answers, free_port


def command(p: psutil.Process) -> list[str]:
    try:
        return p.cmdline()
    except psutil.Error:  # gone, or a zombie not yet reaped
        return []


def workers_of(serve: subprocess.Popen[str]) -> list[psutil.Process]:
    """The live `leads consume` children of a serve process."""
    return [p for p in psutil.Process(serve.pid).children() if "consume" in command(p)]


def start(env: dict[str, str]) -> tuple[subprocess.Popen[str], str, dict[str, str]]:
    port = free_port()
    full = os.environ | env | {"LEADS_API_PORT": str(port)}
    proc = subprocess.Popen([LEADS, "serve"], env=full, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: proc.poll() is not None or _answers(url), timeout=120, what="leads serve to answer")
        assert proc.poll() is None
        token = subprocess.run(
            [LEADS, "token", "--user", "ops", "--role", "admin"], env=full, capture_output=True, text=True, check=True
        ).stdout.strip()
    except BaseException:
        proc.send_signal(signal.SIGTERM)  # no serve (and no workers) left behind by a failed start
        proc.wait(timeout=60)
        raise
    return proc, url, {"Authorization": f"Bearer {token}"}


def gone(pids: list[int]) -> bool:
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                return False
        except psutil.NoSuchProcess:
            pass
    return True


def test_a_killed_projection_process_is_restarted_and_reads_stay_consistent_across_processes(
    database_dsn: str, tmp_path: Path
) -> None:
    env = {"LEADS_POSTGRES_DSN": database_dsn, "LEADS_HOME": str(tmp_path), "LEADS_PROJECTION_PROCESSES": "2"}
    proc, url, auth = start(env)
    try:
        wait_for(lambda: len(workers_of(proc)) == 3, timeout=30, what="two projection processes and the monitors")
        victim = next(p for p in workers_of(proc) if "lead_detail" in command(p))
        victim.kill()
        wait_for(
            lambda: any("lead_detail" in command(p) and p.pid != victim.pid for p in workers_of(proc)),
            timeout=30,
            what="the killed projection process to be started again",
        )

        numbers = itertools.count()

        def consistent() -> bool:
            i = next(numbers)
            made = httpx.post(
                f"{url}/leads",
                json={"contact_name": f"Ada {i}", "email": f"a{i}@example.com"},
                headers=auth,
                timeout=30,
            )
            lead = made.json()
            seen = httpx.get(
                f"{url}/leads/{lead['lead_id']}", params={"after": lead["position"]}, headers=auth, timeout=30
            )
            return seen.status_code == 200 and seen.headers["X-Read-Consistent"] == "true"

        wait_for(consistent, timeout=120, what="the restarted projection process to apply again")
        assert all(consistent() for _ in range(5))  # each read waits for its own write, across processes
        assert httpx.get(f"{url}/health").json()["components"]["consumers"]["lead_detail_v1"]["status"] == "running"
        children = [p.pid for p in workers_of(proc)]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert proc.returncode == 0
    wait_for(lambda: gone(children), timeout=5, what="every worker process to stop with serve")


def test_after_a_kill_9_of_serve_no_worker_or_http_process_is_left(tmp_path: Path) -> None:
    """Embedded PostgreSQL, two HTTP worker processes: all of it goes when serve is killed."""
    proc, url, _ = start({"LEADS_HOME": str(tmp_path / "home"), "LEADS_API_WORKERS": "2"})
    wait_for(lambda: len(workers_of(proc)) >= 2, timeout=30, what="the worker processes")
    descendants = [
        p.pid for p in psutil.Process(proc.pid).children(recursive=True) if "infra.pg_watchdog" not in command(p)
    ]
    assert len(descendants) >= 4  # the projections, the monitors, and two HTTP workers
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    wait_for(lambda: gone(descendants), timeout=15, what="every child of the killed serve to stop")
    assert not _answers(url)
