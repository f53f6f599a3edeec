"""Spans of the background workers, continuing the trace an event carries (``traceparent``,
W3C trace context). With tracing off the API's no-op spans cost next to nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

PROPAGATOR = TraceContextTextMapPropagator()


def parent_of(traceparent: str | None) -> Context | None:
    return PROPAGATOR.extract({"traceparent": traceparent}) if traceparent else None


def traceparent_of(span: Span) -> str | None:
    """The span's context as a ``traceparent``; None unless it is recorded (tracing on), so no
    context is stored or passed on while tracing is off."""
    if not span.is_recording():
        return None
    carrier: dict[str, str] = {}
    PROPAGATOR.inject(carrier, context=trace.set_span_in_context(span))
    return carrier.get("traceparent")


@contextmanager
def span(name: str, traceparent: str | None, kind: SpanKind, **attributes: str | int) -> Iterator[Span]:
    """A span continuing ``traceparent``'s trace; none is opened for an event without one."""
    parent = parent_of(traceparent)
    if parent is None:
        yield trace.INVALID_SPAN
        return
    with trace.get_tracer("leads.consumers").start_as_current_span(
        name, context=parent, kind=kind, attributes=attributes
    ) as opened:
        yield opened


@contextmanager
def starting(name: str, **attributes: str | int) -> Iterator[Span]:
    """A span that starts a trace of its own: background work no request caused (a monitor's
    alert, a reminder firing). Pass its :func:`traceparent_of` into the events the work records,
    and the store, the relay, the projections and the notifier continue that trace. The no-op
    span while tracing is off."""
    with trace.get_tracer("leads.consumers").start_as_current_span(
        name, context=Context(), kind=SpanKind.INTERNAL, attributes=attributes
    ) as opened:
        yield opened


@contextmanager
def applying(projection: str, events: list[Any]) -> Iterator[None]:
    """One ``apply`` span per traced event of a batch (a batch is applied as one), each in its
    event's trace."""
    traced = [(e, parent_of(e.traceparent)) for e in events if e.traceparent]
    if not traced:
        yield
        return
    tracer = trace.get_tracer("leads.consumers")
    spans = [
        tracer.start_span(
            f"apply {projection}", context=parent, kind=SpanKind.CONSUMER, attributes={"lead_version": e.version}
        )
        for e, parent in traced
    ]
    try:
        yield
    finally:
        for opened in spans:
            opened.end()
