"""`examples/voice_agent.py` written against livekit-agents alone, without the coordinator: the
peer scenario 4 compares it with. The same sessions, agents, handoff RPC and per-participant
transcribers (the pattern of livekit's multi-user transcriber example); recordings are left
where livekit puts them, since livekit has no export hook.

`SESSIONS` names every session this job started, `CLOSED` holds a future per session that its
"close" event resolves, and `FAILED` the sessions whose start raised: for the suite's worker to
report.
"""

from __future__ import annotations

import asyncio
from typing import Any

from livekit import rtc
from livekit.agents import AgentSession, JobContext
from livekit.agents.voice.room_io import RoomOptions
from voice_agent import Assistant, Transcriber

from session_fsm.testing._models import SilentSTT, SilentVAD, voice_session

SESSIONS: dict[str, AgentSession[Any]] = {}
CLOSED: dict[str, asyncio.Future[None]] = {}
FAILED: set[str] = set()


def named(name: str, session: AgentSession[Any]) -> AgentSession[Any]:
    SESSIONS[name] = session
    closed = CLOSED[name] = asyncio.get_running_loop().create_future()

    def on_close(_: object) -> None:
        if not closed.done():
            closed.set_result(None)

    session.on("close", on_close)
    return session


async def entrypoint(ctx: JobContext) -> None:
    await ctx.connect()
    count = 1
    voice = named(f"session-{count}", voice_session())
    await voice.start(Assistant(), room=ctx.room, record=False)

    transcribers: dict[str, AgentSession[Any]] = {}
    tasks: set[asyncio.Task[None]] = set()

    async def transcribe(participant: rtc.RemoteParticipant) -> None:
        session: AgentSession[None] = AgentSession(stt=SilentSTT(), vad=SilentVAD())
        transcribers[participant.identity] = named(
            f"{participant.identity}#{len(SESSIONS)}", session
        )
        await session.start(
            Transcriber(participant.identity),
            room=ctx.room,
            room_options=RoomOptions(participant_identity=participant.identity),
        )

    def joined(participant: rtc.RemoteParticipant) -> None:
        task = asyncio.create_task(transcribe(participant))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    def left(participant: rtc.RemoteParticipant) -> None:
        session = transcribers.pop(participant.identity)
        task = asyncio.create_task(session.aclose())
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    ctx.room.on("participant_connected", joined)
    ctx.room.on("participant_disconnected", left)
    for participant in ctx.room.remote_participants.values():
        joined(participant)

    async def handoff(call: rtc.RpcInvocationData) -> str:
        nonlocal voice, count
        await voice.aclose()
        count += 1
        voice = named(f"session-{count}", voice_session())
        try:
            await voice.start(Assistant(), room=ctx.room, record=call.payload == "record")
        except Exception as exc:  # the caller is told what livekit said
            FAILED.add(f"session-{count}")
            raise rtc.RpcError(rtc.RpcError.ErrorCode.APPLICATION_ERROR, f"{exc}") from exc
        return f"session-{count}"

    ctx.room.local_participant.register_rpc_method("handoff", handoff)

    async def close_transcribers(reason: str) -> None:
        await asyncio.gather(*(s.aclose() for s in transcribers.values()))

    ctx.add_shutdown_callback(close_transcribers)
