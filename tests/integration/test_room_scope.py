"""Without a job: the Room is the scope (livekit 1.8.9 treats every session as primary there)."""

from __future__ import annotations

import pytest
from livekit import rtc

from session_fsm import SessionCoordinator, SessionLifecycleError, SessionState
from session_fsm._adapters import agents
from session_fsm._adapters.capabilities import CAPABILITIES
from session_fsm._adapters.room import CHAT_TOPIC, HOST_TOPIC, PRE_CONNECT_TOPIC, RoomTopics

from .conftest import agent, host_opt_out, hosts, new_session


@host_opt_out
async def test_a_second_session_on_a_room_runs_as_secondary(offline_room: rtc.Room) -> None:
    coord = SessionCoordinator.for_room(offline_room)
    assert SessionCoordinator.for_room(offline_room) is coord
    a, b = new_session(), new_session()
    assert await coord.start(a, agent(), name="a") is SessionState.PRIMARY
    # bare livekit: ValueError "byte stream handler for topic 'lk.agent.session' already set"
    assert await coord.start(b, agent(), name="b") is SessionState.SECONDARY
    hosting = CAPABILITIES.hosting  # livekit-agents 1.3: nothing to host
    assert hosts(offline_room) is hosting
    assert RoomTopics.of(offline_room).owner(HOST_TOPIC) == ("a" if hosting else None)
    await coord.close(a)
    assert await coord.promote(b) is SessionState.PRIMARY
    assert RoomTopics.of(offline_room).owner(HOST_TOPIC) == ("b" if hosting else None)
    await coord.aclose()
    assert agents.byte_stream_topics(offline_room) == [] and not hosts(offline_room)


async def test_recording_needs_a_job(offline_room: rtc.Room) -> None:
    coord = SessionCoordinator.for_room(offline_room)
    with pytest.raises(SessionLifecycleError, match="needs a JobContext") as caught:
        await coord.start(new_session(), agent(), record=True)
    assert caught.value.code == "invalid_input"
    assert coord.sessions() == {}


@pytest.mark.skipif(
    CAPABILITIES.hosting, reason="livekit-agents here has a session host (the test above)"
)
async def test_without_a_session_host_sessions_share_a_room_and_its_topics_stay_the_primarys(
    offline_room: rtc.Room,
) -> None:
    """livekit-agents 1.0 to 1.3: nothing hosts, so a Room takes several sessions without a job;
    bare, the second one finds the RoomIO topics taken and removes the pre-connect handler when
    it closes (the peer check shows it). Here the primary keeps them."""
    coord = SessionCoordinator.for_room(offline_room)
    a, b = new_session(), new_session()
    assert await coord.start(a, agent(), name="a") is SessionState.PRIMARY
    assert await coord.start(b, agent(), name="b") is SessionState.SECONDARY
    assert coord.denied_topics(b) == {PRE_CONNECT_TOPIC: "a", CHAT_TOPIC: "a"}
    await coord.close(b)
    assert agents.byte_stream_topics(offline_room) == [PRE_CONNECT_TOPIC]
    assert agents.text_stream_topics(offline_room) == [CHAT_TOPIC]
    assert coord.violations() == []
    await coord.aclose()
    assert agents.byte_stream_topics(offline_room) == []
    assert agents.text_stream_topics(offline_room) == []
