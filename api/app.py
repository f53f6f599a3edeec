"""The FastAPI application, built around the :class:`~api.context.Backend` the composition root
gives it."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api import console, errors
from api.context import Backend
from api.deps import IF_MATCH_PATTERN
from api.idempotency import RequestFingerprint
from api.observability import HttpMetrics, HttpObservability
from api.rate_limits import RateLimits
from api.routes import (
    archive,
    attachments,
    audit,
    bulk,
    commands,
    customer_work,
    customers,
    dead_letters,
    directory,
    erasure,
    exports,
    feeds,
    forms,
    health,
    imports,
    leads,
    reports,
    routing,
    scoring,
    tasks,
    views,
)


def create_app(backend: Backend) -> FastAPI:
    app = FastAPI(
        title="Lead lifecycle engine",
        description="Event-sourced leads: commands append events; every view is projected from the log.",
        version="0.1.0",
        responses=errors.RESPONSES,
    )
    app.state.backend = backend
    errors.install(app)
    app.add_middleware(RequestFingerprint)
    app.add_middleware(RateLimits, settings=backend.config.rate_limits, storage=backend.config.rate_limit_storage)
    app.state.http_metrics = HttpMetrics()
    app.add_middleware(HttpObservability, metrics=app.state.http_metrics)
    for module in (
        exports,
        bulk,
        leads,
        customers,
        customer_work,
        commands,
        archive,
        attachments,
        erasure,
        feeds,
        views,
        reports,
        forms,
        audit,
        directory,
        routing,
        imports,
        tasks,
        scoring,
        dead_letters,
        health,
    ):
        app.include_router(module.router)
    console.install(app)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = with_header_schemas(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def with_header_schemas(spec: dict[str, Any]) -> dict[str, Any]:
    """Optional headers as what a client can send: a string (FastAPI writes ``str | None`` as
    "string or null", and a header cannot be null), and ``If-Match`` with the form it must have."""
    for item in spec["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "header":
                    continue
                schema = parameter["schema"]
                if "anyOf" in schema:
                    kept = [s for s in schema["anyOf"] if s != {"type": "null"}]
                    schema.pop("anyOf")
                    schema.update(kept[0] if len(kept) == 1 else {"anyOf": kept})
                if parameter["name"].lower() == "if-match":
                    schema["pattern"] = IF_MATCH_PATTERN
    return spec
