"""The worker the end-to-end suite runs: `examples/voice_agent.py`'s entrypoint, plus what a test
needs to see inside the job. One provider differs: each participant's transcriber hears
`TONE_TRANSCRIPT` in the client's tone (a `ScriptedSTT`), so that clients have a transcription
to read; the voice sessions keep the example's silent STT.

    python tests/e2e/worker.py dev --no-reload   (LIVEKIT_URL / _API_KEY / _API_SECRET set)

`E2E_EVENTS_DIR`: each job appends JSON lines to `<dir>/<room>.jsonl`: `job` when it starts,
`span_start` / `span_end` for every span livekit-agents and the library make, and `report` at
shutdown (after the coordinator closed its sessions): each session's state and exports, the
coordinator's invariant violations. `E2E_AGENT_NAME` registers for explicit dispatch under that
name (empty: automatic dispatch). `E2E_ENTRYPOINT=bare` runs `bare_agent.py` (the same program on
livekit-agents alone) instead of the example.

While the job runs, the RPC method `e2e.state` answers the coordinator's view as JSON.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from livekit import rtc
from livekit.agents import AgentServer, AgentSession, JobContext, cli
from livekit.agents.llm import ChatMessage
from livekit.agents.telemetry import set_tracer_provider
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider

from session_fsm import SessionCoordinator

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "examples"), str(ROOT)]

import voice_agent  # noqa: E402  (the example, from its folder: after the path is set)

from session_fsm.testing._models import ScriptedSTT  # noqa: E402
from tests.e2e import bare_agent  # noqa: E402
from tests.e2e.kit import TONE_TRANSCRIPT  # noqa: E402


class ToneSTT(ScriptedSTT):
    """The transcribers' STT: hears the tone as `TONE_TRANSCRIPT`, once, after 20 frames."""

    def __init__(self) -> None:
        super().__init__([TONE_TRANSCRIPT], frames_per_line=20)


# the example makes each transcriber's session with `SilentSTT()`, looked up in its module
voice_agent.SilentSTT = ToneSTT  # type: ignore[attr-defined, assignment]


class EventLog:
    """One JSON object per line, appended; one file per room."""

    def __init__(self, root: Path, room: str) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.path = root / f"{room}.jsonl"

    def write(self, kind: str, **fields: Any) -> None:
        line = json.dumps({"kind": kind, "t": time.time(), "pid": os.getpid(), **fields})
        with self.path.open("a") as out:
            out.write(line + "\n")


class SpanLog(SpanProcessor):
    def __init__(self, log: EventLog) -> None:
        self.log = log

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        self.log.write("span_start", name=span.name, id=f"{span.context.span_id:016x}")

    def on_end(self, span: ReadableSpan) -> None:
        assert span.context is not None
        attributes = {k: str(v) for k, v in (span.attributes or {}).items() if "record" in k}
        self.log.write(
            "span_end", name=span.name, id=f"{span.context.span_id:016x}", attributes=attributes
        )


def user_messages(session: Any) -> list[str]:
    return [
        item.text_content or ""
        for item in session.history.items
        if isinstance(item, ChatMessage) and item.role == "user"
    ]


def audio_recorded(session: AgentSession[Any]) -> float:
    """Seconds of input audio livekit's recorder has received since it started (its encoder
    writes the file in large blocks, so the file's size says little while it records)."""
    rec = session._recorder_io
    if rec is None or not rec.recording or rec._t0 is None:
        return 0.0
    return float(rec._input_settled - rec._t0)


def state_of(coord: SessionCoordinator) -> dict[str, Any]:
    primary = coord.primary
    return {
        "primary": coord.name(primary) if primary is not None else None,
        "ownership": coord.ownership.value,
        "sessions": {
            name: {
                "state": coord.state(session).value,
                "user_messages": user_messages(session),
                "recording": str(coord.recording_path(session) or ""),
                "audio_recorded": audio_recorded(session),
                "exports": [outcome.to_dict() for outcome in coord.exports(session)],
            }
            for name, session in coord.sessions().items()
        },
    }


def load(server: AgentServer) -> float:
    """The worker's load as jobs out of `JOBS_PER_WORKER`. livekit's default is the machine's
    CPU use, and the server dispatches only to workers under its target load (0.7): on a shared
    CI machine other processes' CPU would stop the dispatch of this suite's jobs."""
    return min(1.0, len(server.active_jobs) / JOBS_PER_WORKER)


JOBS_PER_WORKER = 50
server = AgentServer(load_fnc=load)


def bare_state(ctx: JobContext) -> dict[str, Any]:
    """The same view for the bare program: its sessions, and the job's primary designation."""
    holder = ctx._primary_agent_session
    return {
        "primary": next((n for n, s in bare_agent.SESSIONS.items() if s is holder), None),
        "sessions": {
            name: {
                "state": (
                    "closed"
                    if bare_agent.CLOSED[name].done()
                    else "start failed"
                    if name in bare_agent.FAILED
                    else "running"
                ),
                "user_messages": user_messages(session),
                "audio_recorded": audio_recorded(session),
            }
            for name, session in bare_agent.SESSIONS.items()
        },
    }


Moments = dict[str, tuple[bool, bool, float]]


async def watch(log: EventLog, moments: Callable[[], Moments]) -> None:
    """For `make bench-e2e`: log when each session goes live (started), when it stops being live
    (closing), and when its recorder first gets the client's audio; polled every 5 ms."""
    seen: set[tuple[str, str]] = set()
    while True:
        for name, (live, ending, audio) in moments().items():
            for moment, now in (("live", live), ("ending", ending), ("audio", audio > 0)):
                if now and (name, moment) not in seen:
                    seen.add((name, moment))
                    log.write(moment, session=name)
        await asyncio.sleep(0.005)  # the figures' resolution


def library_moments(coord: SessionCoordinator) -> Moments:
    states = {name: coord.state(s).value for name, s in coord.sessions().items()}
    return {
        name: (
            states[name] in ("primary", "secondary"),
            states[name] in ("draining", "closed"),
            audio_recorded(session),
        )
        for name, session in coord.sessions().items()
    }


def bare_moments() -> Moments:
    return {
        name: (session._started, bare_agent.CLOSED[name].done(), audio_recorded(session))
        for name, session in bare_agent.SESSIONS.items()
    }


def ogg_files(ctx: JobContext) -> list[str]:
    return sorted(str(p) for p in ctx.session_directory.rglob("*.ogg"))


@server.rtc_session(agent_name=os.environ.get("E2E_AGENT_NAME", ""))
async def observed(ctx: JobContext) -> None:
    if os.environ.get("E2E_ENTRYPOINT") == "bare":
        await bare(ctx)
    else:
        await library(ctx)


def job_log(ctx: JobContext) -> EventLog:
    """The job's event log, with every span livekit and the library end written to it."""
    log = EventLog(Path(os.environ["E2E_EVENTS_DIR"]), ctx.job.room.name)
    provider = TracerProvider()
    provider.add_span_processor(SpanLog(log))
    set_tracer_provider(provider)
    log.write("job", job_id=ctx.job.id, room=ctx.job.room.name, worker_id=ctx.worker_id)
    return log


async def bare(ctx: JobContext) -> None:
    log = job_log(ctx)
    await bare_agent.entrypoint(ctx)
    watcher = asyncio.create_task(watch(log, bare_moments))

    async def state(call: rtc.RpcInvocationData) -> str:
        return json.dumps(bare_state(ctx))

    ctx.room.local_participant.register_rpc_method("e2e.state", state)

    async def report(reason: str) -> None:
        # livekit runs the shutdown callbacks together: give the program's own closing (and
        # livekit's) up to 10 s to finish before reporting
        started = [f for n, f in bare_agent.CLOSED.items() if n not in bare_agent.FAILED]
        if started:
            await asyncio.wait(started, timeout=10)
        watcher.cancel()
        log.write("report", reason=reason, ogg_files=ogg_files(ctx), **bare_state(ctx))

    ctx.add_shutdown_callback(report)


async def library(ctx: JobContext) -> None:
    log = job_log(ctx)

    await voice_agent.entrypoint(ctx)
    coord = SessionCoordinator.for_job(ctx)
    watcher = asyncio.create_task(watch(log, lambda: library_moments(coord)))

    async def state(call: rtc.RpcInvocationData) -> str:
        return json.dumps(state_of(coord))

    ctx.room.local_participant.register_rpc_method("e2e.state", state)

    async def report(reason: str) -> None:
        await coord.aclose()
        watcher.cancel()
        log.write(
            "report",
            reason=reason,
            violations=coord.violations(),
            ogg_files=ogg_files(ctx),
            **state_of(coord),
        )

    ctx.add_shutdown_callback(report)
    log.write("entrypoint_done", identity=ctx.room.local_participant.identity, **state_of(coord))


if __name__ == "__main__":
    cli.run_app(server)
