"""Spans in memory: livekit-agents' tracer provider pointed at an in-memory exporter, and the
span invariants the scenario runner and the test kit check on what it collected.

The OpenTelemetry SDK used here is a requirement of livekit-agents itself (its `telemetry`
module imports it), so the scenario runner needs no extra of ours for it; the library proper
(coordinator, adapters) uses only the OpenTelemetry API.
"""

from __future__ import annotations

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from ..adapters.telemetry import NAME, ROLE

_SPANS: list[InMemorySpanExporter] = []


def in_memory_spans() -> InMemorySpanExporter:
    """The in-memory OpenTelemetry exporter installed as livekit-agents' tracer provider: it sees
    every span livekit-agents and this library make. One per process (a provider is global):
    every caller gets the same exporter."""
    if not _SPANS:
        from livekit.agents.telemetry import set_tracer_provider
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor

        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        set_tracer_provider(provider)
        _SPANS.append(exporter)
    return _SPANS[0]


def span_violations(spans: list[ReadableSpan]) -> list[str]:
    """Each managed session's span ends once (the SDK exports a span once per `end()`) and no
    session span is parented to another session's span."""
    sessions = [s for s in spans if s.name == "agent_session" and (s.attributes or {}).get(ROLE)]
    broken = []
    ids = {s.context.span_id for s in sessions if s.context is not None}
    seen: set[int] = set()
    for span in sessions:
        assert span.context is not None
        name = (span.attributes or {}).get(NAME)
        if span.context.span_id in seen:
            broken.append(f"span of {name} ended twice")
        seen.add(span.context.span_id)
        if span.parent is not None and span.parent.span_id in ids:
            broken.append(f"span of {name} nests under another session's span")
    return broken
