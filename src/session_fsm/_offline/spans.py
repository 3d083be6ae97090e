"""Spans in memory: livekit-agents' tracer provider pointed at an in-memory exporter, and the
span invariants the scenario runner and the test kit check on what it collected.

The OpenTelemetry SDK used here is a requirement of livekit-agents itself (its `telemetry`
module imports it), so the scenario runner needs no extra of ours for it; the library proper
(coordinator, adapters) uses only the OpenTelemetry API.
"""

from __future__ import annotations

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from .._adapters.capabilities import CAPABILITIES
from .._adapters.telemetry import NAME, ROLE

_SPANS: list[InMemorySpanExporter] = []


def in_memory_spans() -> InMemorySpanExporter:
    """The in-memory OpenTelemetry exporter installed as livekit-agents' tracer provider: it sees
    every span livekit-agents and this library make. One per process (a provider is global):
    every caller gets the same exporter."""
    if not _SPANS:
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor

        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        if CAPABILITIES.session_span:
            from livekit.agents.telemetry import set_tracer_provider

            set_tracer_provider(provider)
        else:  # livekit-agents 1.0 and 1.1 trace nothing: the library's spans only
            from opentelemetry import trace

            trace.set_tracer_provider(provider)
        _SPANS.append(exporter)
    return _SPANS[0]


def span_violations(spans: list[ReadableSpan]) -> list[str]:
    """Each managed session's span ends once (the SDK exports a span once per `end()`) and no
    session span descends from another session's span (its whole ancestry is checked)."""
    sessions = [s for s in spans if s.name == "agent_session" and (s.attributes or {}).get(ROLE)]
    broken = []
    ids = {s.context.span_id for s in sessions if s.context is not None}
    #: every finished span's parent, to walk a session span's ancestry (a session started from
    #: agent code nests under the other session's turn or activity spans, not directly under it)
    parents = {s.context.span_id: s.parent for s in spans if s.context is not None}
    seen: set[int] = set()
    for span in sessions:
        assert span.context is not None
        name = (span.attributes or {}).get(NAME)
        if span.context.span_id in seen:
            broken.append(f"span of {name} ended twice")
        seen.add(span.context.span_id)
        ancestor, walked = span.parent, set()
        while ancestor is not None and ancestor.span_id not in walked:
            if ancestor.span_id in ids:
                broken.append(f"span of {name} nests under another session's span")
                break
            walked.add(ancestor.span_id)
            ancestor = parents.get(ancestor.span_id)
    return broken
