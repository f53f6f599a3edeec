"""What the HTTP edge tells operators about each request: its id (``X-Request-ID``, taken from
the client or made, echoed back, stamped on the events it causes and on every log line written
while it is served), one access log line, and Prometheus metrics named by the route template
(never the raw path, which would make a series per lead) and the status.

Plain ASGI, so it measures the whole answer, streaming ones included."""

from __future__ import annotations

import logging
import re
import time
from contextvars import ContextVar
from uuid import uuid4

from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.process_collector import ProcessCollector
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
GOOD_ID = re.compile(r"^[\x21-\x7e]{1,200}$")
"""A request id we pass on: visible ASCII, short (it lands in logs and events)."""
access_log = logging.getLogger("leads.access")
PROPAGATOR = TraceContextTextMapPropagator()


def current_request_id() -> str | None:
    return REQUEST_ID.get()


def current_traceparent() -> str | None:
    """The W3C trace context of the span serving this request, when one is being recorded
    (FastAPI opens the HTTP server span itself when a tracer provider is installed)."""
    if not trace.get_current_span().is_recording():  # tracing off: store and pass on nothing
        return None
    carrier: dict[str, str] = {}
    PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


class HttpMetrics:
    """One registry per app: request counts and durations, and the process's own (CPU, memory,
    open files, start time) from prometheus-client's process collector."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        labels = ["method", "route", "status"]
        self.requests = Counter(
            "leads_http_requests",
            "HTTP requests answered, by route template and status",
            labels,
            registry=self.registry,
        )
        self.duration = Histogram(
            "leads_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template and status",
            labels,
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
        )


class HttpObservability:
    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get("x-request-id")
        request_id = given if given and GOOD_ID.match(given) else str(uuid4())
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500

        async def answered(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", request_id.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, answered)
        finally:
            took = time.perf_counter() - started
            route = getattr(scope.get("route"), "path_format", None) or "unmatched"
            labels = (scope["method"], route, str(status))

            self.metrics.requests.labels(*labels).inc()
            self.metrics.duration.labels(*labels).observe(took)
            access_log.info(
                "%s %s %s",
                scope["method"],
                scope["path"],
                status,
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(took * 1000, 3),
                    "client": (scope.get("client") or ("", 0))[0],
                },
            )
            REQUEST_ID.reset(token)
