"""The FastAPI application, built around a running :class:`Engine`."""

from __future__ import annotations

from fastapi import FastAPI

from api import errors
from api.routes import attachments, audit, commands, erasure, feeds, forms, health, leads, reports, views
from infra.blobs import BlobStore
from infra.runtime import Engine


def create_app(engine: Engine) -> FastAPI:
    app = FastAPI(
        title="Lead lifecycle engine",
        description="Event-sourced leads: commands append events; every view is projected from the log.",
        version="0.1.0",
        responses=errors.RESPONSES,
    )
    engine.prepare_read_store()
    app.state.engine = engine
    app.state.signing_key = engine.settings.signing_key()
    app.state.blobs = BlobStore(engine.db, schema=engine.settings.event_schema)
    errors.install(app)
    for module in (leads, commands, attachments, erasure, feeds, views, reports, forms, audit, health):
        app.include_router(module.router)
    return app
