"""A voice agent that hands the conversation over from one session to the next, and a listen-only
transcriber for every participant, on one job: the README's example as a worker you can run.

    LIVEKIT_URL=ws://127.0.0.1:7880 LIVEKIT_API_KEY=devkey LIVEKIT_API_SECRET=secret \\
        python examples/voice_agent.py dev

Each job starts a voice session that is not recorded; a participant asks for a handoff with the
RPC method `handoff` (payload `record` to record the next voice session, anything else not to),
and the answer is the new voice session's name. Each recorded voice session leaves its own Ogg
file, exported when it closes to `RECORDINGS_DIR` (default `./recordings`) and, when
`RECORDINGS_PUT_URL` is set, PUT to that URL (`{session}`, `{job_id}`, `{room}` are filled in).

The model providers are the test kit's offline ones: they hear and say nothing. For a real agent,
give the sessions real STT / LLM / TTS / VAD plugins; nothing else changes.
"""

from __future__ import annotations

import os

from livekit import rtc
from livekit.agents import Agent, AgentServer, AgentSession, JobContext, cli

from session_fsm import (
    DirectoryExporter,
    HttpPutExporter,
    RecordingExporter,
    SessionCoordinator,
)
from session_fsm.testing._models import SilentSTT, SilentVAD, voice_session


class Assistant(Agent):
    def __init__(self) -> None:
        super().__init__(instructions="You are a helpful voice assistant.")


class Transcriber(Agent):
    """Listens to one participant; never speaks."""

    def __init__(self, identity: str) -> None:
        super().__init__(instructions=f"Transcribe what {identity} says.")


def exporters() -> list[RecordingExporter]:
    found: list[RecordingExporter] = [
        DirectoryExporter(os.environ.get("RECORDINGS_DIR", "recordings"))
    ]
    if put_url := os.environ.get("RECORDINGS_PUT_URL"):
        found.append(HttpPutExporter(put_url))
    return found


server = AgentServer()


@server.rtc_session()
async def entrypoint(ctx: JobContext) -> None:
    coord = SessionCoordinator.for_job(ctx)
    await ctx.connect()

    # the voice agent: primary, not recorded until someone asks for it
    voice = voice_session()
    await coord.start(voice, Assistant(), record=False)

    # one listen-only transcriber per remote participant, closed when they leave
    coord.per_participant(
        lambda participant: (
            AgentSession(stt=SilentSTT(), vad=SilentVAD()),
            Transcriber(participant.identity),
        )
    )

    async def handoff(call: rtc.RpcInvocationData) -> str:
        nonlocal voice
        previous, voice = voice, voice_session()
        # closing releases the primary designation and exports the recording
        await coord.close(previous)
        if call.payload == "record":
            await coord.start(voice, Assistant(), record=True, exporter=exporters())
        else:
            await coord.start(voice, Assistant(), record=False)
        return coord.name(voice)

    ctx.room.local_participant.register_rpc_method("handoff", handoff)


if __name__ == "__main__":
    cli.run_app(server)
