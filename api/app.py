"""The FastAPI application, built around the :class:`~api.context.Backend` the composition root
gives it."""

from __future__ import annotations

from fastapi import FastAPI

from api import errors
from api.context import Backend
from api.routes import attachments, audit, commands, erasure, feeds, forms, health, leads, reports, views


def create_app(backend: Backend) -> FastAPI:
    app = FastAPI(
        title="Lead lifecycle engine",
        description="Event-sourced leads: commands append events; every view is projected from the log.",
        version="0.1.0",
        responses=errors.RESPONSES,
    )
    app.state.backend = backend
    errors.install(app)
    for module in (leads, commands, attachments, erasure, feeds, views, reports, forms, audit, health):
        app.include_router(module.router)
    return app
