"""The test kit's model providers through livekit's own stream machinery: what each one gives."""

from __future__ import annotations

import pytest
from livekit import rtc
from livekit.agents import llm
from livekit.agents.stt import SpeechEventType

from session_fsm.fsm.errors import SessionLifecycleError
from session_fsm.testing._models import (
    SAMPLE_RATE,
    QuietLLM,
    ScriptedSTT,
    SilentSTT,
    SilentTTS,
    SilentVAD,
)


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


async def test_the_scripted_stt_says_a_line_every_so_many_frames_then_reads_to_the_end() -> None:
    stt = ScriptedSTT(["hello there", "goodbye"], frames_per_line=3)
    recognize = stt.stream()
    frame = rtc.AudioFrame.create(SAMPLE_RATE, 1, SAMPLE_RATE // 100)
    for _ in range(11):  # a line at frames 3 and 6; the script is over by 9
        recognize.push_frame(frame)
    recognize.flush()  # not audio: not counted
    recognize.end_input()
    events = [event async for event in recognize]
    assert [e.type for e in events] == [SpeechEventType.FINAL_TRANSCRIPT] * 2
    assert [e.alternatives[0].text for e in events] == ["hello there", "goodbye"]
    assert stt.streams == [recognize] and recognize.ended
    await recognize.aclose()


async def test_the_scripted_stt_says_nothing_before_enough_frames() -> None:
    stt = ScriptedSTT(["hello"], frames_per_line=3)
    recognize = stt.stream()
    frame = rtc.AudioFrame.create(SAMPLE_RATE, 1, SAMPLE_RATE // 100)
    recognize.push_frame(frame)
    recognize.push_frame(frame)
    recognize.end_input()
    assert [event async for event in recognize] == []
    assert recognize.ended
    await recognize.aclose()
    heard = await stt.recognize([frame])
    assert [a.text for a in heard.alternatives] == ["hello"]


@pytest.mark.parametrize(("lines", "frames"), [([], 1), ([""], 1), (["hi", ""], 1), (["hi"], 0)])
def test_the_scripted_stt_refuses_an_empty_script_or_line_and_no_frames(
    lines: list[str], frames: int
) -> None:
    with pytest.raises(SessionLifecycleError) as caught:
        ScriptedSTT(lines, frames_per_line=frames)
    assert caught.value.code == "invalid_input"
