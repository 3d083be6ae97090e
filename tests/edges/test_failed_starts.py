"""A start that fails before livekit's `start()` gives back everything it took, and recording
folders never collide (across jobs, processes, runs) whatever the session's name."""

from __future__ import annotations

from pathlib import Path

import pytest
from livekit import rtc
from livekit.agents import JobContext

from session_fsm import SessionCoordinator, SessionLifecycleError, SessionState
from session_fsm._adapters import agents
from session_fsm._adapters.room import CHAT_TOPIC, HOST_TOPIC, PRE_CONNECT_TOPIC, RoomTopics
from session_fsm.testing._cancel import cancel_at
from session_fsm.testing._offline import offline_job, offline_room

from ..integration.conftest import agent, new_session, short_recordings


async def test_a_start_refused_at_the_host_topic_keeps_no_chat_or_pre_connect(
    coordinator: SessionCoordinator, offline_room: rtc.Room
) -> None:
    def foreign_host(reader: object, identity: str) -> None: ...

    offline_room.register_byte_stream_handler(HOST_TOPIC, foreign_host)
    with pytest.raises(SessionLifecycleError) as caught:
        await coordinator.start(new_session(), agent(), name="voice")
    assert caught.value.code == "start_failed"
    assert RoomTopics.of(offline_room).owners == {}
    assert CHAT_TOPIC not in agents.text_stream_topics(offline_room)
    offline_room.unregister_byte_stream_handler(HOST_TOPIC)
    nxt = new_session()
    assert await coordinator.start(nxt, agent(), name="next") is SessionState.PRIMARY
    assert coordinator.denied_topics(nxt) == {}
    assert RoomTopics.of(offline_room).owners == {
        HOST_TOPIC: "next",
        PRE_CONNECT_TOPIC: "next",
        CHAT_TOPIC: "next",
    }
    assert coordinator.violations() == []


async def test_a_start_whose_recording_folder_fails_keeps_nothing(
    coordinator: SessionCoordinator, offline_room: rtc.Room, offline_job: JobContext
) -> None:
    # a file where the recordings folder should go: making any recording folder fails
    (agents.session_directory(offline_job) / "recordings").write_bytes(b"not a folder")
    with pytest.raises(SessionLifecycleError) as caught:
        await coordinator.start(new_session(), agent(), record=True, name="voice")
    assert caught.value.code == "start_failed"
    assert RoomTopics.of(offline_room).owners == {}
    assert agents.job_primary(offline_job) is None
    nxt = new_session()
    assert await coordinator.start(nxt, agent(), name="next") is SessionState.PRIMARY
    assert coordinator.denied_topics(nxt) == {}


async def _record_once(job: JobContext, name: str) -> Path:
    coord = SessionCoordinator.for_job(job)
    session = new_session()
    await coord.start(session, agent(), record=True, name=name)
    path = coord.recording_path(session)
    await coord.close(session)
    await coord.aclose()
    assert path is not None and path.read_bytes()[:4] == b"OggS"
    return path


@short_recordings
async def test_recording_folders_are_unique_across_jobs_sharing_a_directory(
    tmp_path: Path,
) -> None:
    # console mode gives every job of a process the same session directory; a folder left by an
    # earlier run (the same job id again) is there too: neither may make a later primary fail
    paths = []
    for job_id in ("AJ_one", "AJ_two", "AJ_one"):
        with offline_job(offline_room(), job_id=job_id) as job:
            agents.set_session_directory(job, tmp_path)
            paths.append(await _record_once(job, "voice"))
    assert len({p.parent for p in paths}) == 3
    assert all(p.parent.parent == tmp_path / "recordings" for p in paths)


@short_recordings
@pytest.mark.parametrize(
    "name",
    ["é" * 200, "a/../../b\x00c" + "x" * 300, "🎙️" * 80, ".", ".."],
    ids=["non-ascii", "slashes-and-nul", "emoji", "dot", "dotdot"],
)
async def test_recording_folders_are_valid_for_any_session_name(
    offline_job: JobContext, name: str
) -> None:
    path = await _record_once(offline_job, name)
    root = agents.session_directory(offline_job) / "recordings"
    assert path.parent.parent == root
    assert len(path.parent.name.encode()) <= 200


async def test_a_start_cancelled_at_any_await_keeps_no_topic_or_folder(
    coordinator: SessionCoordinator, offline_room: rtc.Room, offline_job: JobContext
) -> None:
    k, cut = 0, True
    while cut:
        k += 1
        s = new_session()
        report = await cancel_at(coordinator.start(s, agent(), record=True, name=f"s{k}"), k)
        cut = report.reached
        if cut:
            # straight after the cut, before any close: nothing is held by the cut start
            assert RoomTopics.of(offline_room).owners == {}, f"after a cut at await {k}"
            assert agents.job_primary(offline_job) is None
            assert agents.session_directory(offline_job) == coordinator.runner.recordings.base  # type: ignore[attr-defined]
        await coordinator.aclose()
    assert k >= 3
