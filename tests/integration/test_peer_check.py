"""The peer check: each seed bug reproduced on BARE livekit-agents of the installed version, then
shown fixed with the library, on the real objects (the job's primary, the Room's handler tables,
the recorder's files). `make matrix` runs it on every supported minor; a bug the installed
version cannot have (no designation before 1.3, no session host before 1.5, a `lk.chat` handler
left behind only on 1.0) is skipped with the capability that is missing (or present).

If a bare half stops failing, livekit fixed the bug: the test fails so that the compatibility
table and the adapters are revisited, rather than the library working around what is gone.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from livekit.agents import AgentSession

from session_fsm import SessionCoordinator, SessionLifecycleError, SessionState
from session_fsm._adapters import agents
from session_fsm._adapters.capabilities import CAPABILITIES
from session_fsm._adapters.room import CHAT_TOPIC, HOST_TOPIC, PRE_CONNECT_TOPIC, RoomTopics
from session_fsm.testing._offline import offline_job, offline_room

from .conftest import agent, bare_room, new_session, session_lasts, toned

pytestmark = pytest.mark.peer_check

needs = {
    name: pytest.mark.skipif(
        not getattr(CAPABILITIES, name), reason=f"livekit-agents here has no {name}"
    )
    for name in ("primary_designation", "session_recording", "session_host")
}

#: Bare livekit-agents 1.4 cannot start a session on an unconnected Room: its client-events
#: handler registers RPC methods, which need a connected participant (the library's adapter
#: registers none offline). Bare halves that need a Room are not applicable offline there.
bare_room_start = pytest.mark.skipif(
    CAPABILITIES.client_events,
    reason="bare livekit-agents here cannot start a session on an unconnected Room "
    "(RPC methods need a connected participant)",
)


#: What a bare start passes to say "do not record" (before 1.3 there is no `record=`).
BARE: dict[str, Any] = {"record": False} if CAPABILITIES.session_recording else {}


async def _close_quietly(*sessions: AgentSession[Any]) -> None:
    """Bare livekit leaves half-started sessions behind: close what can be closed."""
    for s in sessions:
        await agents.undo_partial_start(s)


@needs["primary_designation"]
async def test_seed_001_the_primary_designation_is_released_on_close() -> None:
    room = offline_room()
    with offline_job(room) as job:
        first, second = new_session(), new_session()
        # the designation needs no Room: bare 1.4 starts only without one offline
        await first.start(agent(), room=bare_room(room), record=False)
        await first.aclose()
        assert agents.job_primary(job) is first  # bare: held by a closed session
        with pytest.raises(RuntimeError, match="Only one `AgentSession` can be the primary"):
            await second.start(agent(), room=bare_room(room), record=True)
        await _close_quietly(second, first)

    room = offline_room()
    with offline_job(room) as job:
        coord = SessionCoordinator.for_job(job)
        first, second = new_session(), new_session()
        assert await coord.start(first, agent(), record=False) is SessionState.PRIMARY
        await coord.close(first)
        assert agents.job_primary(job) is None
        assert await coord.start(second, agent(), record=True) is SessionState.PRIMARY
        assert agents.job_primary(job) is second
        await coord.aclose()
        assert agents.job_primary(job) is None


def _taken(caplog: pytest.LogCaptureFixture) -> list[str]:
    """livekit's warnings that a RoomIO topic was already taken by another session."""
    messages = [r.getMessage() for r in caplog.records]
    return [m for m in messages if "already" in m and (PRE_CONNECT_TOPIC in m or CHAT_TOPIC in m)]


@bare_room_start
async def test_bare_closing_a_secondary_removes_the_primarys_pre_connect_handler(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    room = offline_room()
    with offline_job(room):
        primary, secondary = new_session(), new_session()
        await primary.start(agent(), room=room, **BARE)
        await secondary.start(agent(), room=room, **BARE)
        assert _taken(caplog)  # bare: the second session's RoomIO finds its topics taken
        assert PRE_CONNECT_TOPIC in agents.byte_stream_topics(room)
        await secondary.aclose()
        assert PRE_CONNECT_TOPIC not in agents.byte_stream_topics(room)  # bare: the owner's, gone
        await primary.aclose()


async def test_closing_a_secondary_keeps_the_primarys_pre_connect_handler(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    room = offline_room()
    with offline_job(room) as job:
        coord = SessionCoordinator.for_job(job)
        primary, secondary = new_session(), new_session()
        assert await coord.start(primary, agent(), name="p") is SessionState.PRIMARY
        assert await coord.start(secondary, agent(), name="s") is SessionState.SECONDARY
        # the secondary asks for no topic the primary holds, and is told which it did not get
        assert _taken(caplog) == []
        assert coord.denied_topics(secondary) == {PRE_CONNECT_TOPIC: "p", CHAT_TOPIC: "p"}
        chat = agents.stream_handler_tables(room)[1][CHAT_TOPIC]
        await coord.close(secondary)
        assert PRE_CONNECT_TOPIC in agents.byte_stream_topics(room)
        assert agents.stream_handler_tables(room)[1][CHAT_TOPIC] is chat  # the primary's, kept
        await coord.aclose()
        assert agents.byte_stream_topics(room) == []


@pytest.mark.skipif(
    CAPABILITIES.chat_released_at_close, reason="livekit-agents here has chat_released_at_close"
)
async def test_a_closed_session_leaves_no_chat_handler_for_the_next_one() -> None:
    """livekit-agents 1.0: RoomIO never removes its `lk.chat` handler, so after a session closed
    the Room still routes chat to its closed RoomIO, and the next session gets none."""
    room = offline_room()
    with offline_job(room):
        first, second = new_session(), new_session()
        await first.start(agent(), room=room)
        await first.aclose()
        assert CHAT_TOPIC in agents.text_stream_topics(room)  # bare: left behind
        await second.start(agent(), room=room)
        chat = agents.stream_handler_tables(room)[1][CHAT_TOPIC]
        assert getattr(chat, "__self__", None) is not second._room_io  # bare: not the new one's
        await second.aclose()

    room = offline_room()
    with offline_job(room) as job:
        coord = SessionCoordinator.for_job(job)
        first, second = new_session(), new_session()
        assert await coord.start(first, agent(), name="first") is SessionState.PRIMARY
        await coord.close(first)
        assert CHAT_TOPIC not in agents.text_stream_topics(room)
        assert await coord.start(second, agent(), name="second") is SessionState.PRIMARY
        chat = agents.stream_handler_tables(room)[1][CHAT_TOPIC]
        assert getattr(chat, "__self__", None) is second._room_io
        assert RoomTopics.of(room).owner(CHAT_TOPIC) == "second"
        await coord.aclose()
        assert agents.text_stream_topics(room) == []


@needs["session_host"]
async def test_seed_000_two_sessions_on_one_room_without_a_job() -> None:
    room = offline_room()
    first, second = new_session(), new_session()
    await first.start(agent(), room=room)
    with pytest.raises(ValueError, match=f"{HOST_TOPIC}.*already set"):
        await second.start(agent(), room=room)  # bare: the second host collides
    await _close_quietly(second, first)

    room = offline_room()
    coord = SessionCoordinator.for_room(room)
    first, second = new_session(), new_session()
    assert await coord.start(first, agent(), name="a") is SessionState.PRIMARY
    if CAPABILITIES.host_opt_out:
        assert await coord.start(second, agent(), name="b") is SessionState.SECONDARY
        assert agents.byte_stream_topics(room).count(HOST_TOPIC) == 1
    else:  # livekit-agents 1.5: nothing keeps a session without a job from hosting
        with pytest.raises(SessionLifecycleError) as caught:
            await coord.start(second, agent(), name="b")
        assert caught.value.code == "unsupported_by_livekit"
        assert agents.byte_stream_topics(room).count(HOST_TOPIC) == 1
        assert coord.primary is first
    assert agents.byte_stream_topics(room).count(HOST_TOPIC) == 1
    await coord.aclose()
    assert agents.byte_stream_topics(room) == []


@needs["session_recording"]
@bare_room_start
async def test_bare_every_primary_records_to_the_jobs_one_file() -> None:
    room = offline_room()
    with offline_job(room) as job:
        session = new_session()
        # bare: every primary of a job records to the job's one audio.ogg (a restarted primary
        # overwrites it; a second one cannot even start, see seed 001)
        for _ in range(2 if CAPABILITIES.primary_reentrant else 1):
            await session.start(agent(), room=room, record=True)
            rec = agents.recorder(session)
            assert rec is not None and rec.output_path is not None
            assert Path(rec.output_path) == agents.session_directory(job) / "audio.ogg"
            await session.aclose()


@needs["session_recording"]
async def test_each_primary_records_to_a_file_of_its_own() -> None:
    room = offline_room()
    with offline_job(room) as job:
        coord = SessionCoordinator.for_job(job)
        recorded: list[Path] = []
        for name in ("first", "second"):
            session, tone = toned()
            await coord.start(session, agent(), record=True, name=name)
            await session_lasts(tone)
            await coord.close(session)
            path = coord.recording_path(session)
            assert path is not None
            recorded.append(path)
        assert recorded[0] != recorded[1]
        assert all(p.read_bytes()[:4] == b"OggS" for p in recorded)
        await coord.aclose()
