"""A fake audio device: a generated tone as a session's audio input, so recordings hold real
audio offline. (Fakes are for devices and model providers only; everything else is real.)"""

from __future__ import annotations

import asyncio
import math

from livekit import rtc
from livekit.agents.voice import io

SAMPLE_RATE = 48_000
FRAME_MS = 20


class ToneInput(io.AudioInput):
    """`seconds` of a sine tone in 20 ms frames, then silence until the session detaches it."""

    def __init__(self, *, seconds: float = 0.5, frequency: float = 440.0) -> None:
        super().__init__(label="ToneInput")
        self.frequency = frequency
        self.frames_total = max(1, int(seconds * 1000 / FRAME_MS))
        self.frames_sent = 0
        #: Set once every frame of the tone has been taken by the session.
        self.done = asyncio.Event()
        self._detached = asyncio.Event()

    def _frame(self, index: int) -> rtc.AudioFrame:
        per_frame = SAMPLE_RATE * FRAME_MS // 1000
        frame = rtc.AudioFrame.create(SAMPLE_RATE, 1, per_frame)
        samples = frame.data
        offset = index * per_frame
        for i in range(per_frame):
            t = (offset + i) / SAMPLE_RATE
            samples[i] = int(12_000 * math.sin(2 * math.pi * self.frequency * t))
        return frame

    async def __anext__(self) -> rtc.AudioFrame:
        if self.frames_sent < self.frames_total:
            self.frames_sent += 1
            if self.frames_sent == self.frames_total:
                self.done.set()
            return self._frame(self.frames_sent - 1)
        await self._detached.wait()
        raise StopAsyncIteration

    def on_detached(self) -> None:
        self._detached.set()
