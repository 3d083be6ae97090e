"""One secondary per participant: joins, leaves (also mid-start), rejoins; nothing leaks."""

from __future__ import annotations

from livekit import rtc
from livekit.agents import Agent, AgentSession

from session_fsm import SessionCoordinator, SessionState
from session_fsm._adapters import agents
from session_fsm.testing._offline import AGENT, join, leave

from .conftest import agent, new_session


def factory(participant: rtc.RemoteParticipant) -> tuple[AgentSession[None], Agent]:
    return new_session(), agent(f"transcriber for {participant.identity}")


async def test_fanout_follows_participants_and_leaks_nothing(
    coordinator: SessionCoordinator, offline_room: rtc.Room
) -> None:
    voice = new_session()
    await coordinator.start(voice, agent(), name="voice")
    join(offline_room, "early")  # already there when the fan-out begins
    fanout = coordinator.per_participant(factory)
    join(offline_room, "alice")
    join(offline_room, "bot", kind=AGENT)  # not a standard participant: ignored
    await fanout.settle()
    assert sorted(fanout.sessions) == ["alice", "early"]
    states = {coordinator.name(s): coordinator.state(s) for s in fanout.sessions.values()}
    assert set(states.values()) == {SessionState.SECONDARY}

    join(offline_room, "bob")
    leave(offline_room, "bob")  # leaves while its start is in flight: cancelled, undone
    leave(offline_room, "alice")
    await fanout.settle()
    assert sorted(fanout.sessions) == ["early"]
    assert sorted(coordinator.sessions()) == ["early#1", "voice"]

    join(offline_room, "alice")  # rejoin: a fresh session
    await fanout.settle()
    assert coordinator.state(fanout.sessions["alice"]) is SessionState.SECONDARY

    await fanout.aclose()
    assert fanout.sessions == {} and sorted(coordinator.sessions()) == ["voice"]
    assert coordinator.violations() == []
    await coordinator.close(voice)
    assert agents.byte_stream_topics(offline_room) == []
