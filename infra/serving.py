"""``leads serve``: the HTTP API in this process (or several uvicorn worker processes), and the
projections and other workers beside it, supervised in processes of their own by default
(``serve_workers=processes``) or as threads in this one (``threads``).

The embedded PostgreSQL belongs to this process (its watchdog stops it when this process ends);
children and HTTP workers connect to it by DSN, and each stops by itself if this process dies,
so nothing is orphaned. Read-your-writes holds across processes: every projection commit
NOTIFYs, and each API process follows those notifications (``Engine.follow_positions``).
"""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI

from infra.runtime import Engine
from infra.settings import Mode, Settings
from infra.supervisor import Supervisor, health_view, plan, watch_parent


def start_workers(engine: Engine) -> Supervisor | None:
    """Start everything but HTTP: child processes (returning their supervisor) or threads."""
    s = engine.settings
    if s.serve_workers == "threads":
        engine.start_background()
        return None
    engine.prepare_read_store()
    names = {short: projection.name for short, projection in engine.projections.items()}
    children = plan(projections=names, processes=s.projection_process_count, kafka=s.mode is Mode.KAFKA)
    supervisor = Supervisor(children, env=child_env(engine), grace_s=s.shutdown_grace_s)
    engine.workers.extend(health_view(children))
    supervisor.start()
    engine.start_monitor()
    return supervisor


def child_env(engine: Engine) -> dict[str, str]:
    """The environment of every child: this one, plus the embedded server's DSN (children use
    this process's server rather than starting or holding one of their own)."""
    env = dict(os.environ)
    if not engine.settings.postgres_dsn:
        env["LEADS_POSTGRES_DSN"] = engine.db.dsn
    return env


def uvicorn_options(s: Settings) -> dict[str, Any]:
    return {
        "host": s.api_host,
        "port": s.api_port,
        "log_level": "warning",
        "log_config": None,  # our JSON handler on the root (infra.logs), not uvicorn's own
        "access_log": False,  # leads.access writes the access log, with the route and request id
        "timeout_graceful_shutdown": max(1, round(s.shutdown_grace_s)),
    }


def build_app(engine: Engine) -> FastAPI | None:
    """The app this process serves (None: HTTP worker processes build their own). Built before
    the children start, so their start-up does not compete with it for the CPU."""
    if engine.settings.http_workers > 1:
        return None
    if engine.settings.serve_workers == "processes":
        engine.prepare_read_store()  # the positions table the feed reads first
        engine.follow_positions()  # before the app, which asks whether a feed runs
    return engine.app()


def serve_http(engine: Engine, app: FastAPI | None) -> None:
    """Serve until a stop signal: ``app`` in this process, or ``http_workers`` worker
    processes that each open the engine themselves (:func:`worker_app`)."""
    s = engine.settings
    if app is not None:
        uvicorn.Server(uvicorn.Config(app, **uvicorn_options(s))).run()
        return
    os.environ.update(child_env(engine))  # the workers are spawned with this process's environment
    uvicorn.run("infra.serving:worker_app", factory=True, workers=s.http_workers, **uvicorn_options(s))


def worker_app() -> FastAPI:
    """One HTTP worker process: the API over its own engine, following the projections' commits;
    it stops (as on SIGTERM) if the serving process dies."""
    engine = Engine.open(Settings())
    engine.prepare_read_store()
    engine.follow_positions()
    engine.start_monitor()
    watch_parent(os.getppid(), lambda: os.kill(os.getpid(), signal.SIGTERM))
    app = engine.app()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            engine.close()

    app.router.lifespan_context = lifespan
    return app
