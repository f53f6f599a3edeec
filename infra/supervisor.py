"""``leads serve`` runs the projections and the other workers as child processes, each the same
``leads consume`` an operator would start by hand, so the API's interpreter serves HTTP only and
every core gets work (one interpreter runs one thread of Python at a time).

The supervisor starts the children, restarts one that crashed (with a growing pause, so a child
that cannot start does not spin), retries a halted projection only at the longest pause (it
would halt again at the same event; health names it halted meanwhile), and stops them all on
shutdown: SIGTERM, then SIGKILL for any still running after the grace period. A child also
stops by itself when its supervisor dies (``kill -9`` included), so no worker is left behind and
the embedded PostgreSQL, which the supervisor's process owns, can stop with it.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

HALTED = 3
"""``leads consume`` exits with this code when its projection halted at an event it cannot apply."""
RESTART_PAUSE_S = (0.5, 30.0)
"""The pause before restarting a crashed child: the first, and the longest it doubles to."""
PARENT_CHECK_S = 0.25
LEADS = shutil.which("leads") or str(Path(sys.executable).parent / "leads")


@dataclass
class Child:
    """One supervised ``leads consume`` (or ``leads relay``) process, ``args`` after ``leads``;
    ``name`` and ``status`` as health reports workers (``running``, ``restarting after exit N``,
    ``halted (exit 3): ...``)."""

    name: str
    args: list[str]
    status: str = "starting"
    restarts: int = 0
    proc: subprocess.Popen[bytes] | None = None
    pause_s: float = RESTART_PAUSE_S[0]
    due: float = 0.0
    started: float = 0.0
    serves: list[str] = field(default_factory=list)
    """The projections it runs, by versioned name (none: a monitor or the relay)."""

    def run(self) -> None:  # the Worker protocol; a child runs in its own process
        raise NotImplementedError


@dataclass
class Supervisor:
    """Keeps ``children`` running with ``env`` until :meth:`stop`."""

    children: list[Child]
    env: dict[str, str]
    grace_s: float
    name: str = "supervisor"
    status: str = "starting"
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        """Spawn every child now, then watch them from a thread of their own."""
        for child in self.children:
            self._spawn(child)
        self.status = "running"
        self._thread = threading.Thread(target=self._watch, name="supervisor", daemon=True)
        self._thread.start()

    def _spawn(self, child: Child) -> None:
        args = [LEADS, *child.args, "--supervisor-pid", str(os.getpid())]
        child.proc = subprocess.Popen(args, env=self.env, stdin=subprocess.DEVNULL)
        if not child.status.startswith("halted"):  # a retried halt stays named until it runs a minute
            child.status = "running"
        child.started = time.monotonic()

    def _watch(self) -> None:
        while not self._stop.wait(0.2):
            for child in self.children:
                self._check(child)

    def _check(self, child: Child) -> None:
        proc = child.proc
        if proc is None:
            if time.monotonic() >= child.due and not self._stop.is_set():
                child.restarts += 1
                self._spawn(child)
            return
        code = proc.poll()
        if code is None:
            if time.monotonic() - child.started > 60:  # a minute up: the next crash starts the pauses over
                child.pause_s = RESTART_PAUSE_S[0]
                child.status = "running"
            return
        if code == HALTED:
            # It would halt again at the same event, but the projections sharing its process
            # must go on: retried at the longest pause, and health says halted meanwhile.
            child.status = f"halted (exit {code}): see its log for the event; retrying every {RESTART_PAUSE_S[1]:.0f} s"
            child.proc = None
            child.due = time.monotonic() + RESTART_PAUSE_S[1]
            log.error("%s halted at an event it cannot apply; retrying in %.0f s", child.name, RESTART_PAUSE_S[1])
            return
        log.error("%s exited with %s; restarting it in %.1f s", child.name, code, child.pause_s)
        child.status = f"restarting after exit {code}"
        child.proc = None
        child.due = time.monotonic() + child.pause_s
        child.pause_s = min(RESTART_PAUSE_S[1], child.pause_s * 2)

    def stop(self) -> None:
        """SIGTERM every child at once, wait up to the grace period, SIGKILL what is left."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        running = [c.proc for c in self.children if c.proc is not None and c.proc.poll() is None]
        for proc in running:
            proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.grace_s
        for proc in running:
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for child in self.children:
            child.status = "stopped" if not child.status.startswith("halted") else child.status
        self.status = "stopped"


def watch_parent(parent: int, on_gone: Callable[[], None]) -> threading.Thread:
    """Call ``on_gone`` once ``parent`` is no longer this process's parent (it died, however,
    and the process was handed to init): how a supervised child notices a ``kill -9``."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_S)
        log.warning("supervisor %s is gone; stopping", parent)
        on_gone()

    thread = threading.Thread(target=watch, name="parent-watch", daemon=True)
    thread.start()
    return thread


MONITORS = [
    "--aging-monitor",
    "--reminders",
    "--response-monitor",
    "--rescorer",
    "--decay-monitor",
    "--likelihood-monitor",
]
"""The periodic sweepers: mostly asleep, so they share one process."""


def plan(*, projections: dict[str, str], processes: int, kafka: bool) -> list[Child]:
    """What ``leads serve`` runs beside the API: the projections dealt round-robin over
    ``processes`` processes (``projections``: short name → versioned name, as health names
    it; in registry order, so the two ``?after=`` waits on, the list and the detail, land in
    different processes), one process for the periodic monitors, and in kafka mode one each for
    the relay, the intake consumer and the notifier."""
    shorts = list(projections)
    groups = [shorts[i :: max(1, processes)] for i in range(min(max(1, processes), len(shorts)))]
    children = [
        Child(
            name="+".join(projections[short] for short in group),
            args=["consume", *[arg for short in group for arg in ("--projection", short)]],
            serves=[projections[short] for short in group],
        )
        for group in groups
    ]
    children.append(Child(name="monitors", args=["consume", *MONITORS]))
    if kafka:
        children += [
            Child(name="relay", args=["relay"]),
            Child(name="intake", args=["consume", "--intake"]),
            Child(name="notifier", args=["consume", "--notifier"]),
        ]
    return children


@dataclass
class Serving:
    """One projection as health lists it, in the state of the child process that runs it."""

    name: str
    child: Child

    @property
    def status(self) -> str:
        return self.child.status

    @status.setter
    def status(self, value: str) -> None:
        self.child.status = value

    def run(self) -> None:  # the Worker protocol; it runs in the child
        raise NotImplementedError


def health_view(children: list[Child]) -> list[Serving]:
    """Every child by the names health knows: each projection by its own name."""
    return [Serving(name, child) for child in children for name in child.serves or [child.name]]
