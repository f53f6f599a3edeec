"""OpenTelemetry traces, off by default. When ``LEADS_TRACING__ENABLED=true`` the process gets
a tracer provider, exporting by OTLP over HTTP when an endpoint is configured (or the standard
``OTEL_EXPORTER_OTLP_*`` variables say where); otherwise nothing is recorded and every span the
engine opens is the API's no-op.

A trace follows one request across the engine: the HTTP span, the store's save, the relay's
publish (its context travels on Kafka as the W3C ``traceparent`` header) and each projection's
apply. The context crosses the event store inside the event's metadata, and is taken out of
the payload before anything is published."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from pydantic import BaseModel, ConfigDict, Field


class TracingSettings(BaseModel):
    """``LEADS_TRACING__<NAME>``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = False
    otlp_endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP traces endpoint, e.g. http://collector:4318/v1/traces; unset = the standard "
        "OTEL_EXPORTER_OTLP_* variables, or no export",
    )
    service_name: str = "leads-engine"


def configure(settings: TracingSettings) -> TracerProvider | None:
    """Install this process's tracer provider (once); None when tracing is off."""
    if not settings.enabled:
        return None
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    provider = TracerProvider(resource=Resource.create({"service.name": settings.service_name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otlp_endpoint)))
    trace.set_tracer_provider(provider)
    return provider
