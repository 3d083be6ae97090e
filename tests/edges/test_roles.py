"""Roles and lifecycle at the edges: who owns the RoomIO topics, starts after shutdown, sessions
started directly with livekit, concurrent starts, and spans of sessions started from agent code."""

from __future__ import annotations

import asyncio

import pytest
from livekit import rtc
from livekit.agents import Agent, JobContext
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from session_fsm import OwnershipState, SessionCoordinator, SessionLifecycleError, SessionState
from session_fsm._adapters import agents
from session_fsm._adapters.room import CHAT_TOPIC, HOST_TOPIC, PRE_CONNECT_TOPIC, RoomTopics
from session_fsm.testing._offline import run_job_shutdown

from ..integration.conftest import agent, new_session


async def test_a_secondary_started_between_primaries_never_takes_the_primarys_topics(
    coordinator: SessionCoordinator, offline_room: rtc.Room
) -> None:
    old = new_session()
    await coordinator.start(old, agent(), name="old")
    await coordinator.close(old)
    transcriber = new_session()  # joins between the old primary's close and the new one's start
    assert await coordinator.start(transcriber, agent(), role="secondary", name="t") is (
        SessionState.SECONDARY
    )
    assert set(coordinator.denied_topics(transcriber)) == {CHAT_TOPIC, PRE_CONNECT_TOPIC}
    voice = new_session()
    assert await coordinator.start(voice, agent(), name="voice") is SessionState.PRIMARY
    assert coordinator.denied_topics(voice) == {}
    assert RoomTopics.of(offline_room).owners == {
        HOST_TOPIC: "voice",
        PRE_CONNECT_TOPIC: "voice",
        CHAT_TOPIC: "voice",
    }
    assert coordinator.violations() == []


async def test_start_after_the_jobs_shutdown_is_refused(
    offline_job: JobContext, offline_room: rtc.Room
) -> None:
    coord = SessionCoordinator.for_job(offline_job)
    await run_job_shutdown(offline_job)
    late = new_session()
    with pytest.raises(SessionLifecycleError) as caught:
        await coord.start(late, agent(), name="late")
    assert caught.value.code == "scope_closed" and "late" in caught.value.message
    assert agents.job_primary(offline_job) is None
    assert agents.byte_stream_topics(offline_room) == []
    assert coord.ownership is OwnershipState.VACANT and coord.sessions() == {}
    with pytest.raises(SessionLifecycleError):
        coord.per_participant(lambda p: (new_session(), agent()))


async def test_a_session_started_directly_with_livekit_is_refused(
    coordinator: SessionCoordinator, offline_room: rtc.Room, offline_job: JobContext
) -> None:
    foreign = new_session()
    await foreign.start(agent(), room=offline_room, record=False)
    before = (coordinator.scope.snapshot(), agents.job_primary(offline_job))
    with pytest.raises(SessionLifecycleError) as caught:
        await coordinator.start(foreign, agent(), name="foreign")
    assert caught.value.code == "foreign_session" and "aclose" in caught.value.message
    assert (coordinator.scope.snapshot(), agents.job_primary(offline_job)) == before
    await foreign.aclose()
    # closed, it can be started through the coordinator (livekit never released its primary)
    assert await coordinator.start(foreign, agent(), name="foreign") is SessionState.PRIMARY
    assert coordinator.violations() == []


async def test_a_second_concurrent_start_waits_for_the_same_outcome(
    coordinator: SessionCoordinator,
) -> None:
    s = new_session()
    first = asyncio.ensure_future(coordinator.start(s, agent(), name="s"))
    second = asyncio.ensure_future(coordinator.start(s, agent(), name="s"))
    await asyncio.wait([second, first], return_when=asyncio.FIRST_COMPLETED)
    # whichever returns first, the session is no longer starting when it does
    assert coordinator.state(s) is SessionState.PRIMARY
    assert await first is SessionState.PRIMARY and await second is SessionState.PRIMARY


async def test_a_session_started_from_agent_code_is_not_nested_under_the_other(
    coordinator: SessionCoordinator, span_exporter: InMemorySpanExporter
) -> None:
    inner = new_session()
    started: asyncio.Future[SessionState] = asyncio.get_running_loop().create_future()

    class Starter(Agent):
        async def on_enter(self) -> None:
            try:
                started.set_result(await coordinator.start(inner, agent(), name="inner"))
            except Exception as exc:
                started.set_exception(exc)

    outer = new_session()
    await coordinator.start(outer, Starter(instructions="starts another"), name="outer")
    assert await started is SessionState.SECONDARY
    await coordinator.close(inner)
    await coordinator.close(outer)
    spans = {
        (s.attributes or {}).get("lk.session.name"): s
        for s in span_exporter.get_finished_spans()
        if s.name == "agent_session"
    }
    by_id = {s.context.span_id: s for s in span_exporter.get_finished_spans()}
    outer_id = spans["outer"].context.span_id
    ancestor = spans["inner"].parent
    while ancestor is not None:  # no ancestor of the inner session's span is the outer's span
        assert ancestor.span_id != outer_id
        parent = by_id.get(ancestor.span_id)
        ancestor = parent.parent if parent is not None else None


def test_the_kits_nesting_check_walks_the_whole_ancestry() -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    from session_fsm._adapters.telemetry import NAME, ROLE
    from session_fsm.testing._checks import span_violations

    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    tracer = provider.get_tracer("test")
    with (
        tracer.start_as_current_span("agent_session", attributes={ROLE: "primary", NAME: "a"}),
        tracer.start_as_current_span("agent_turn"),  # the other session's own work
        tracer.start_as_current_span("agent_session", attributes={ROLE: "secondary", NAME: "b"}),
    ):
        pass
    with tracer.start_as_current_span("agent_session", attributes={ROLE: "primary", NAME: "c"}):
        pass
    assert span_violations(list(spans.get_finished_spans())) == [
        "span of b nests under another session's span"
    ]


async def test_a_second_start_is_not_cancelled_with_the_first(
    coordinator: SessionCoordinator, offline_room: rtc.Room
) -> None:
    s = new_session()
    first = asyncio.ensure_future(coordinator.start(s, agent(), name="s"))

    async def cut_then_start() -> SessionState:
        # tasks run in order: the first start has begun (it awaits livekit) when this runs
        first.cancel()
        return await coordinator.start(s, agent(), name="s")

    second = asyncio.ensure_future(cut_then_start())
    assert await second is SessionState.CLOSED  # the start it shared was undone
    assert first.cancelled()
    assert RoomTopics.of(offline_room).owners == {} and coordinator.violations() == []
