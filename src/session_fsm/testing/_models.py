"""Model providers for sessions that run offline: speech-to-text, voice activity detection, an LLM
and text-to-speech that need no network.

With them an `AgentSession` starts the way a voice agent's does: livekit builds its audio
recognition, opens a VAD stream and an STT stream, and tears them down at close. Nothing here
invents speech: offline no audio arrives, so the streams consume their input and stay silent,
the LLM answers with nothing and the TTS with a few milliseconds of silence. Where a test needs
words, `ScriptedSTT` "hears" the lines it was given, one per so many frames of audio in.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable
from typing import Any, Never

from livekit import rtc
from livekit.agents import (
    NOT_GIVEN,
    AgentSession,
    NotGivenOr,
    llm,
    stt,
    tts,
    vad,
)
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, APIConnectOptions
from livekit.agents.utils.audio import AudioBuffer

from .._adapters.capabilities import CAPABILITIES
from ..fsm.errors import InvalidInput

SAMPLE_RATE = 24_000


def _english() -> Any:
    """English as `SpeechData.language` takes it: a `LanguageCode` (1.4+), a plain str before."""
    if not CAPABILITIES.language_code:
        return "en"
    from livekit.agents import LanguageCode

    return LanguageCode("en")


class _ReadsToEnd:
    """What both silent streams do with their audio: read it all, report nothing, and say when
    their input was closed (`ended`)."""

    ended = False

    async def _read_to_end(self, audio: AsyncIterable[object]) -> None:
        try:
            async for _ in audio:
                pass
        finally:
            self.ended = True


class SilentVAD(vad.VAD):
    """Detects no speech: its stream reads the audio it is given and reports nothing."""

    def __init__(self) -> None:
        super().__init__(capabilities=vad.VADCapabilities(update_interval=0.032))
        #: Every stream opened from it, in order (each has `ended`: its input was closed).
        self.streams: list[SilentVADStream] = []

    def stream(self) -> SilentVADStream:
        return SilentVADStream(owner=self)


class SilentVADStream(_ReadsToEnd, vad.VADStream):
    def __init__(self, *, owner: SilentVAD) -> None:
        super().__init__(owner)
        owner.streams.append(self)

    async def _main_task(self) -> None:
        await self._read_to_end(self._input_ch)


# The providers' type parameter is the extra events they emit: these emit none of their own.


class _ScriptSTT(stt.STT[Never]):
    """A streaming STT that says the lines of its script, one every `frames_per_line` audio
    frames a stream receives, and then reads the rest of its input silently: with no lines it
    hears nothing at all. It counts frames, not time."""

    def __init__(self, lines: tuple[str, ...], frames_per_line: int) -> None:
        super().__init__(capabilities=stt.STTCapabilities(streaming=True, interim_results=False))
        self.lines, self.frames_per_line = lines, frames_per_line
        #: Every stream opened from it, in order (each has `ended`: its input was closed).
        self.streams: list[ScriptedRecognizeStream] = []

    async def _recognize_impl(
        self,
        buffer: AudioBuffer,
        *,
        language: NotGivenOr[str] = NOT_GIVEN,
        conn_options: APIConnectOptions,
    ) -> stt.SpeechEvent:
        if not self.lines:
            return stt.SpeechEvent(type=stt.SpeechEventType.FINAL_TRANSCRIPT, alternatives=[])
        return _final(self.lines[0])

    def stream(
        self,
        *,
        language: NotGivenOr[str] = NOT_GIVEN,
        conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
    ) -> ScriptedRecognizeStream:
        return ScriptedRecognizeStream(owner=self, conn_options=conn_options)


class SilentSTT(_ScriptSTT):
    """A streaming STT that hears nothing: its stream reads the audio and emits no transcript."""

    def __init__(self) -> None:
        super().__init__((), frames_per_line=1)


class ScriptedSTT(_ScriptSTT):
    """A streaming STT that hears a script: each of its streams emits a final transcript of the
    next line every `frames_per_line` audio frames it receives, then reads the rest of its input
    silently. It counts frames, not time, so what it says depends only on the audio that came in.
    """

    def __init__(self, lines: Iterable[str], *, frames_per_line: int = 50) -> None:
        script = tuple(lines)
        if not script or not all(isinstance(line, str) and line for line in script):
            raise InvalidInput(f"ScriptedSTT needs one or more non-empty lines, got {lines!r}")
        if type(frames_per_line) is not int or frames_per_line < 1:
            raise InvalidInput(f"frames_per_line must be 1 or more, got {frames_per_line!r}")
        super().__init__(script, frames_per_line)


def _final(text: str) -> stt.SpeechEvent:
    return stt.SpeechEvent(
        type=stt.SpeechEventType.FINAL_TRANSCRIPT,
        alternatives=[stt.SpeechData(language=_english(), text=text)],
    )


class ScriptedRecognizeStream(_ReadsToEnd, stt.RecognizeStream):
    def __init__(self, *, owner: _ScriptSTT, conn_options: APIConnectOptions) -> None:
        super().__init__(stt=owner, conn_options=conn_options)
        self._owner = owner
        owner.streams.append(self)

    async def _run(self) -> None:
        await self._read_to_end(self._say_lines())

    async def _say_lines(self) -> AsyncIterator[object]:
        """The input, passed on to be read to its end, saying a line every so many frames."""
        lines, frames = iter(self._owner.lines), 0
        async for item in self._input_ch:
            if isinstance(item, rtc.AudioFrame):
                frames += 1
                if frames % self._owner.frames_per_line == 0 and (line := next(lines, None)):
                    self._event_ch.send_nowait(_final(line))
            yield item


class QuietLLM(llm.LLM[Never]):
    """Answers every chat with an empty reply."""

    def chat(
        self,
        *,
        chat_ctx: llm.ChatContext,
        tools: list[llm.Tool] | None = None,
        conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
        parallel_tool_calls: NotGivenOr[bool] = NOT_GIVEN,
        tool_choice: NotGivenOr[llm.ToolChoice] = NOT_GIVEN,
        extra_kwargs: NotGivenOr[dict[str, Any]] = NOT_GIVEN,
    ) -> llm.LLMStream:
        return _EmptyLLMStream(
            self, chat_ctx=chat_ctx, tools=tools or [], conn_options=conn_options
        )


class _EmptyLLMStream(llm.LLMStream):
    async def _run(self) -> None:
        return None


class SilentTTS(tts.TTS[Never]):
    """Speaks any text as 10 ms of silence (16-bit mono PCM)."""

    def __init__(self) -> None:
        super().__init__(
            capabilities=tts.TTSCapabilities(streaming=False),
            sample_rate=SAMPLE_RATE,
            num_channels=1,
        )

    def synthesize(
        self, text: str, *, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS
    ) -> tts.ChunkedStream:
        return _SilentChunkedStream(tts=self, input_text=text, conn_options=conn_options)


class _SilentChunkedStream(tts.ChunkedStream):
    async def _run(self, output_emitter: tts.AudioEmitter) -> None:
        output_emitter.initialize(
            request_id="silence", sample_rate=SAMPLE_RATE, num_channels=1, mime_type="audio/pcm"
        )
        output_emitter.push(bytes(2 * SAMPLE_RATE // 100))


def voice_session(**options: Any) -> AgentSession[None]:
    """An `AgentSession` with the four providers of a voice agent (`stt`, `vad`, `llm`, `tts`).

    Its close does not wait for a last transcript (`session_close_transcript_timeout=0`): livekit
    otherwise waits up to 2 s at every close for a transcript of audio that, offline, never
    arrives. `options` go to `AgentSession` as they are (livekit checks them)."""
    options.setdefault("session_close_transcript_timeout", 0.0)
    return AgentSession(
        stt=SilentSTT(), vad=SilentVAD(), llm=QuietLLM(), tts=SilentTTS(), **options
    )
