"""A voice agent's sessions (speech-to-text, VAD, LLM, TTS) in one job: livekit builds its audio
recognition at start and tears it down at close, around what the coordinator does."""

from __future__ import annotations

from livekit.agents import JobContext

from session_fsm import SessionCoordinator, SessionState
from session_fsm._adapters import agents
from session_fsm.testing._models import SilentSTT, SilentVAD, voice_session

from .conftest import agent, short_recordings


@short_recordings
async def test_voice_sessions_hand_off_the_primary_and_their_streams_end(
    coordinator: SessionCoordinator, offline_job: JobContext
) -> None:
    first = voice_session()
    stt, vad = first.stt, first.vad
    assert isinstance(stt, SilentSTT) and isinstance(vad, SilentVAD)
    assert await coordinator.start(first, agent(), record=False) is SessionState.PRIMARY
    assert [s.ended for s in stt.streams] == [False] and [s.ended for s in vad.streams] == [False]
    await coordinator.close(first)
    assert [s.ended for s in stt.streams] == [True] and [s.ended for s in vad.streams] == [True]
    # the primary was released: the next voice session records, as the job's primary
    second = voice_session()
    assert await coordinator.start(second, agent(), record=True) is SessionState.PRIMARY
    assert agents.job_primary(offline_job) is second
    await coordinator.close(second)
    path = coordinator.recording_path(second)
    assert path is not None and path.read_bytes()[:4] == b"OggS"
    assert agents.job_primary(offline_job) is None
