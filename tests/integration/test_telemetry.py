"""Traces that tell the truth, on the real OpenTelemetry SDK (in-memory exporter)."""

from __future__ import annotations

import asyncio

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from session_fsm import SessionCoordinator
from session_fsm._adapters import agents
from session_fsm._adapters.capabilities import CAPABILITIES

from .conftest import agent, needs, new_session, session_lasts, toned

if not CAPABILITIES.session_span:  # livekit-agents 1.0 and 1.1 have no OpenTelemetry
    pytest.skip("livekit-agents here has no session_span", allow_module_level=True)

from livekit.agents.telemetry import tracer


def by_name(spans: InMemorySpanExporter) -> dict[str, list[ReadableSpan]]:
    out: dict[str, list[ReadableSpan]] = {}
    for span in spans.get_finished_spans():
        if span.name == "agent_session":
            out.setdefault(str((span.attributes or {}).get("lk.session.name")), []).append(span)
    return out


async def test_spans_never_nest_across_sessions(
    coordinator: SessionCoordinator, span_exporter: InMemorySpanExporter
) -> None:
    with tracer.start_as_current_span("entrypoint") as entry:  # the caller's span
        a = new_session()
        await coordinator.start(a, agent(), name="a")
        assert trace.get_current_span() is entry  # the caller's context is untouched
        await coordinator.close(a)
        with tracer.start_as_current_span("after-a"):
            pass
        b, c = new_session(), new_session()
        await asyncio.gather(  # started concurrently in one task
            coordinator.start(b, agent(), name="b"), coordinator.start(c, agent(), name="c")
        )
        await coordinator.aclose()
    spans = by_name(span_exporter)
    session_ids = {s[0].context.span_id for s in spans.values() if s[0].context}
    entry_id = entry.get_span_context().span_id
    for name in ("a", "b", "c"):
        [span] = spans[name]  # ended exactly once
        assert span.parent is not None and span.parent.span_id == entry_id, name
    [after] = [s for s in span_exporter.get_finished_spans() if s.name == "after-a"]
    assert after.parent is not None and after.parent.span_id == entry_id
    assert after.parent.span_id not in session_ids


async def test_roles_links_states_and_the_token(
    coordinator: SessionCoordinator, span_exporter: InMemorySpanExporter
) -> None:
    primary, secondary = new_session(), new_session()
    await coordinator.start(primary, agent(), name="p")
    await coordinator.start(secondary, agent(), name="s")
    # livekit leaves its trace context attached after start (1.3+; before, it detaches it)
    assert agents.has_trace_token(primary) is CAPABILITIES.session_trace_token
    await coordinator.close(secondary)
    await coordinator.close(primary)
    assert not agents.has_trace_token(primary) and not agents.has_trace_token(secondary)
    spans = by_name(span_exporter)
    [p], [s] = spans["p"], spans["s"]
    assert (p.attributes or {})["lk.session.role"] == "primary"
    assert (s.attributes or {})["lk.session.role"] == "secondary"
    assert [link.context.span_id for link in s.links] == [p.context.span_id]
    states = [(e.attributes or {}).get("to") for e in p.events if e.name == "lk.session.state"]
    assert states == ["starting", "primary", "draining"]  # the span ends inside the close


@needs("session_recording")
async def test_the_span_ends_after_the_recording_references(
    coordinator: SessionCoordinator, span_exporter: InMemorySpanExporter
) -> None:
    from session_fsm import RecordingExportResult, RecordingInfo

    seen_open: list[bool] = []

    async def exporter(info: RecordingInfo) -> RecordingExportResult:
        [m] = [coordinator.managed(k) for k in coordinator.sessions()]
        assert m.span is not None
        seen_open.append(not m.span.finished)  # livekit's close already asked it to end
        return RecordingExportResult(url="https://store.example/a.ogg", id="rec-1")

    session, tone = toned()
    await coordinator.start(session, agent(), record=True, exporter=exporter, name="r")
    await session_lasts(tone)
    await coordinator.close(session, wait_export=True)
    assert seen_open == [True]
    [span] = by_name(span_exporter)["r"]
    assert (span.attributes or {})["lk.recording_id"] == "rec-1"
    assert span.end_time is not None
