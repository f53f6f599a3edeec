"""One trace follows a request across the engine: the HTTP span, the store's save, the relay's
publish (its context carried to Kafka in ``traceparent``) and each projection's apply, collected
here with the OpenTelemetry SDK's in-memory exporter. Off by default: no context is stored then."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from domain.contract.envelope import envelope_of
from infra.runtime import Engine
from infra.settings import Settings
from infra.tracing import TracingSettings
from projections.lead_list import LeadList
from tests.conftest import wait_for
from tests.e2e.auth import bearer
from tests.spans import recorded_spans


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    with recorded_spans() as exporter:
        yield exporter


@pytest.fixture
def traced_settings(kafka_settings: Settings) -> Settings:
    return kafka_settings.model_copy(update={"tracing": TracingSettings(enabled=True)})


def named(spans: list[ReadableSpan], prefix: str) -> list[ReadableSpan]:
    return [s for s in spans if s.name.startswith(prefix)]


def test_a_post_of_a_lead_is_one_trace_from_http_through_kafka_to_the_projections(
    spans: InMemorySpanExporter, traced_settings: Settings
) -> None:
    engine = Engine.open(traced_settings)
    try:
        engine.start_background()
        with TestClient(engine.app(), headers=bearer(engine)) as client:
            created = client.post("/leads", json={"contact_name": "Ada", "email": "ada@example.com"})
            assert created.status_code == 201, created.text
            lead = created.json()
            seen = client.get(f"/leads/{lead['lead_id']}", params={"after": lead["position"]})
            assert seen.headers["x-read-consistent"] == "true"
        wanted = {f"apply {LeadList.name}", "apply lead_detail_v1", "apply feeds_v1"}
        wait_for(lambda: wanted <= {s.name for s in spans.get_finished_spans()}, timeout=30, what="the apply spans")
        stored = envelope_of(engine.service.history(UUID(lead["lead_id"]))[0])
    finally:
        engine.close()
    finished = list(spans.get_finished_spans())
    by_id = {s.context.span_id: s for s in finished}

    def ancestors(span: ReadableSpan) -> list[str]:
        chain = []
        while span.parent is not None and span.parent.span_id in by_id:
            span = by_id[span.parent.span_id]
            chain.append(span.name)
        return chain

    (publish,) = named(finished, f"publish {traced_settings.events_topic}")
    assert ancestors(publish)[-1] == "POST /leads", ancestors(publish)
    http = next(s for s in finished if s.name == "POST /leads" and s.context.trace_id == publish.context.trace_id)
    in_trace = [s for s in finished if s.context.trace_id == http.context.trace_id]
    assert any(s.name == "store events" and "POST /leads" in ancestors(s) for s in in_trace)
    # read models fed by Kafka continue the publish; the customer master's reads the store's log
    applied = [s for s in named(in_trace, "apply ") if s.name in wanted]
    assert wanted == {s.name for s in applied}
    assert all(s.parent is not None and s.parent.span_id == publish.context.span_id for s in applied)
    assert stored.traceparent and "traceparent" not in stored.payload["meta"], "a header, never in the payload"


def test_with_tracing_off_no_trace_context_is_stored(engine: Engine) -> None:
    with TestClient(engine.app(), headers=bearer(engine)) as client:
        lead = client.post("/leads", json={"contact_name": "Ada", "email": "ada@example.com"}).json()["lead_id"]
    event = engine.service.history(UUID(lead))[0]
    assert event.meta.traceparent is None and "traceparent" not in event.model_dump(mode="json")["meta"]


def test_with_tracing_off_a_callers_traceparent_is_not_stored_either(engine: Engine) -> None:
    caller = {"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}
    with TestClient(engine.app(), headers=bearer(engine) | caller) as client:
        lead = client.post("/leads", json={"contact_name": "Ada", "email": "ada@example.com"}).json()["lead_id"]
    assert engine.service.history(UUID(lead))[0].meta.traceparent is None
