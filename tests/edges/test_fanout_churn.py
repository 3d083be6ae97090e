"""The per-participant fan-out under churn: at every moment at most one running session per
participant, once settled exactly one running secondary per present participant of the chosen
kinds and none for absent ones, and nothing left after `aclose()` or the job's shutdown, whatever
the order of joins, leaves, rejoins within one loop pass, factory delays and shutdown."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from livekit import rtc
from livekit.agents import Agent, AgentSession
from livekit.agents.voice.room_io import RoomOptions

from session_fsm import SessionCoordinator, SessionLifecycleError, SessionState
from session_fsm._adapters import agents
from session_fsm._adapters.room import RoomTopics
from session_fsm._runtime.fanout import ParticipantSession
from session_fsm.testing._offline import (
    AGENT,
    join,
    leave,
    offline_job,
    offline_room,
    run_job_shutdown,
)

from ..integration.conftest import agent, new_session


class Factory:
    """An async factory that can be held (a slow factory: a model loading, a lookup)."""

    def __init__(self) -> None:
        self.made: list[tuple[str, AgentSession[None]]] = []
        self.gate: asyncio.Event | None = None

    async def __call__(self, participant: rtc.RemoteParticipant) -> ParticipantSession:
        if self.gate is not None:
            await self.gate.wait()
        session = new_session()
        self.made.append((participant.identity, session))
        return ParticipantSession(session, agent(f"transcriber for {participant.identity}"))

    def hold(self) -> None:
        if self.gate is None:
            self.gate = asyncio.Event()

    def release(self) -> None:
        if self.gate is not None:
            self.gate.set()
            self.gate = None


def running_by_identity(factory: Factory) -> dict[str, int]:
    counts: dict[str, int] = {}
    for identity, session in factory.made:
        if agents.is_running(session):
            counts[identity] = counts.get(identity, 0) + 1
    return counts


def check_now(factory: Factory) -> None:
    """What must hold at any moment, settled or not."""
    assert all(n == 1 for n in running_by_identity(factory).values()), factory.made


def check_settled(
    coord: SessionCoordinator, factory: Factory, present: set[str], fanout: Any
) -> None:
    running = running_by_identity(factory)
    assert set(running) == present, (running, present)
    assert sorted(fanout.sessions) == sorted(present)
    for identity in present:
        session = fanout.sessions[identity]
        assert coord.state(session) is SessionState.SECONDARY
        assert agents.is_running(session)
    # the coordinator keeps no session of a participant who left
    kept = {coord.name(s) for s in fanout.sessions.values()}
    assert set(coord.sessions()) == kept
    assert coord.violations() == []


def nothing_left(coord: SessionCoordinator, factory: Factory, room: rtc.Room) -> None:
    assert running_by_identity(factory) == {}
    assert coord.sessions() == {}  # every participant's session closed and forgotten
    assert agents.byte_stream_topics(room) == [] and agents.text_stream_topics(room) == []
    assert RoomTopics.of(room).owners == {}


IDS = ("ann", "bob", "cy")
OPS = st.one_of(
    st.tuples(st.just("join"), st.sampled_from(IDS)),
    st.tuples(st.just("leave"), st.sampled_from(IDS)),
    st.tuples(st.just("blip"), st.sampled_from(IDS)),  # leave and rejoin in one loop pass
    st.tuples(st.just("bot"), st.sampled_from(IDS)),  # an agent participant: not a chosen kind
    st.just(("hold", "")),
    st.just(("release", "")),
    st.just(("pass", "")),  # let the loop run one pass
    st.just(("settle", "")),
    st.just(("shutdown", "")),
    st.just(("aclose", "")),
)


async def churn(ops: list[tuple[str, str]]) -> None:
    room = offline_room()
    with offline_job(room) as job:
        coord = SessionCoordinator.for_job(job)
        factory = Factory()
        fanout = coord.per_participant(factory)
        present: set[str] = set()
        bots: set[str] = set()
        stopped = False
        for op, who in ops:
            if op == "join" and who not in present:
                join(room, who)
                present.add(who)
            elif op == "leave" and who in present:
                leave(room, who)
                present.discard(who)
            elif op == "blip" and who in present:
                leave(room, who)
                join(room, who)
            elif op == "bot" and f"bot-{who}" not in bots:
                join(room, f"bot-{who}", kind=AGENT)
                bots.add(f"bot-{who}")
            elif op == "hold":
                factory.hold()
            elif op == "release":
                factory.release()
            elif op == "pass":
                await asyncio.sleep(0)  # one loop pass, as a step of the churn (not a wait)
            elif op == "settle" and not stopped:
                factory.release()
                await fanout.settle()
                check_settled(coord, factory, present, fanout)
            elif op in ("shutdown", "aclose") and not stopped:
                stopped = True
                factory.release()  # a held factory would hold the shutdown: it is released
                if op == "shutdown":
                    await run_job_shutdown(job)
                else:
                    await fanout.aclose()
                nothing_left(coord, factory, room)
            check_now(factory)
        if not stopped:
            factory.release()
            await fanout.settle()
            check_settled(coord, factory, present, fanout)
            await run_job_shutdown(job)
        nothing_left(coord, factory, room)
        assert fanout.errors == [] or all("scope_closed" in e or "shut" in e for e in fanout.errors)


@settings(max_examples=80, deadline=None)
@given(st.lists(OPS, max_size=14))
def test_churn_keeps_one_session_per_present_participant(ops: list[tuple[str, str]]) -> None:
    asyncio.run(churn(ops))


# --------------------------------------------------------------------------- the cases by name


async def test_a_rejoin_within_one_loop_pass_gets_a_session() -> None:
    await churn([("join", "ann"), ("settle", ""), ("blip", "ann"), ("settle", "")])


async def test_a_rejoin_during_the_undo_of_a_cut_start_gets_a_session() -> None:
    await churn([("join", "ann"), ("pass", ""), ("blip", "ann"), ("settle", "")])


async def test_join_leave_join_leaves_nothing_after_aclose() -> None:
    await churn([("join", "ann"), ("leave", "ann"), ("join", "ann"), ("aclose", "")])


async def test_shutdown_during_a_held_factory_leaves_no_session() -> None:
    room = offline_room()
    with offline_job(room) as job:
        coord = SessionCoordinator.for_job(job)
        factory = Factory()
        factory.hold()
        coord.per_participant(factory)
        join(room, "ann")
        shutting = asyncio.ensure_future(run_job_shutdown(job))
        gate = factory.gate
        assert gate is not None
        gate.set()  # the factory returns once the shutdown (scheduled first) has begun
        await shutting
        nothing_left(coord, factory, room)
        with pytest.raises(SessionLifecycleError) as caught:
            await coord.start(new_session(), agent())
        assert caught.value.code == "scope_closed"


async def test_a_fanout_refused_after_shutdown_does_not_follow_the_room() -> None:
    room = offline_room()
    with offline_job(room) as job:
        coord = SessionCoordinator.for_job(job)
        await run_job_shutdown(job)
        factory = Factory()
        with pytest.raises(SessionLifecycleError) as caught:
            coord.per_participant(factory)
        assert caught.value.code == "scope_closed"
        join(room, "ann")  # a refused fan-out left listening would call its factory now
        await asyncio.sleep(0)  # one pass for a start it would have scheduled
        assert factory.made == []


async def test_two_fanouts_on_one_coordinator_name_their_sessions_apart() -> None:
    room = offline_room()
    with offline_job(room) as job:
        coord = SessionCoordinator.for_job(job)
        first, second = Factory(), Factory()
        one, two = coord.per_participant(first), coord.per_participant(second)
        join(room, "ann")
        await one.settle()
        await two.settle()
        assert one.errors == [] and two.errors == []
        names = {coord.name(one.sessions["ann"]), coord.name(two.sessions["ann"])}
        assert len(names) == 2
        assert running_by_identity(first) == {"ann": 1} == running_by_identity(second)
        await run_job_shutdown(job)
        nothing_left(coord, first, room)
        nothing_left(coord, second, room)


async def test_transcribers_are_listen_only_by_default_and_take_no_topics(
    coordinator: SessionCoordinator, offline_room: rtc.Room
) -> None:
    def pair(participant: rtc.RemoteParticipant) -> tuple[AgentSession[None], Agent]:
        return new_session(), agent()

    fanout = coordinator.per_participant(pair)
    join(offline_room, "ann")  # no primary yet: the transcriber must not take lk.chat
    await fanout.settle()
    transcriber = fanout.sessions["ann"]
    assert transcriber.output.audio is None  # publishes nothing
    assert RoomTopics.of(offline_room).owners == {}
    assert agents.text_stream_topics(offline_room) == []
    voice = new_session()
    assert await coordinator.start(voice, agent(), name="voice") is SessionState.PRIMARY
    assert coordinator.denied_topics(voice) == {}  # the voice primary gets chat and pre-connect
    await fanout.aclose()


async def test_a_factory_can_pass_its_own_room_options(
    coordinator: SessionCoordinator, offline_room: rtc.Room
) -> None:
    def speaking(participant: rtc.RemoteParticipant) -> ParticipantSession:
        options = RoomOptions(text_input=False)  # audio output stays on: this one speaks
        return ParticipantSession(new_session(), agent(), room_options=options)

    def wrong(participant: rtc.RemoteParticipant) -> ParticipantSession:
        options = RoomOptions(participant_identity="someone-else")
        return ParticipantSession(new_session(), agent(), room_options=options)

    fanout = coordinator.per_participant(speaking)
    join(offline_room, "ann")
    await fanout.settle()
    assert fanout.sessions["ann"].output.audio is not None
    await fanout.aclose()
    bad = coordinator.per_participant(wrong)
    join(offline_room, "bob")
    await bad.settle()
    assert bad.sessions == {} and "someone-else" in bad.errors[0]
    await bad.aclose()
