"""The FastAPI application, built around a running :class:`Engine`."""

from __future__ import annotations

from fastapi import FastAPI

from api import errors
from api.routes import health, leads
from infra.runtime import Engine


def create_app(engine: Engine) -> FastAPI:
    app = FastAPI(
        title="Lead lifecycle engine",
        description="Event-sourced leads: commands append events; every view is projected from the log.",
        version="0.1.0",
    )
    app.state.engine = engine
    errors.install(app)
    app.include_router(leads.router)
    app.include_router(health.router)
    return app
