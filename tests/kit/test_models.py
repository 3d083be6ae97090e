"""The test kit's model providers through livekit's own stream machinery: what each one gives."""

from __future__ import annotations

from livekit import rtc
from livekit.agents import llm
from livekit.agents.stt import SpeechEventType

from session_fsm.testing.models import SAMPLE_RATE, QuietLLM, SilentSTT, SilentTTS, SilentVAD


async def test_the_tts_speaks_ten_milliseconds_of_silence() -> None:
    async with SilentTTS().synthesize("hello") as stream:
        frames = [event.frame async for event in stream]
    samples = b"".join(bytes(f.data) for f in frames)
    assert len(samples) == 2 * SAMPLE_RATE // 100 and set(samples) == {0}
    assert {f.sample_rate for f in frames} == {SAMPLE_RATE}


async def test_the_llm_answers_with_nothing() -> None:
    async with QuietLLM().chat(chat_ctx=llm.ChatContext.empty()) as stream:
        chunks = [chunk async for chunk in stream]
    assert chunks == []


async def test_the_stt_and_vad_streams_read_audio_and_report_nothing() -> None:
    stt, vad = SilentSTT(), SilentVAD()
    recognize, detect = stt.stream(), vad.stream()
    frame = rtc.AudioFrame.create(SAMPLE_RATE, 1, SAMPLE_RATE // 100)
    for stream in (recognize, detect):
        stream.push_frame(frame)
        stream.end_input()
    assert [event async for event in recognize] == []
    assert [event async for event in detect] == []
    assert stt.streams == [recognize] and vad.streams == [detect]
    assert recognize.ended and detect.ended
    await recognize.aclose()
    await detect.aclose()
    heard = await stt.recognize([frame])
    assert heard.type is SpeechEventType.FINAL_TRANSCRIPT and heard.alternatives == []
