"""Execute the core's effects through the adapters. Each effect is one adapter call: this module
decides nothing, and an effect either completes or leaves nothing behind (a half-done livekit
start is undone here, so the core's compensation only has whole effects to undo)."""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from livekit import rtc
from livekit.agents import JobContext
from opentelemetry.trace import Span

from .._adapters import agents, roomio, telemetry
from .._adapters.capabilities import CAPABILITIES
from .._adapters.exporters import ExportOutcome, RecordingInfo, run_exporters
from .._adapters.recorder import Recordings
from .._adapters.room import RoomTopics
from ..fsm import _effects as fx
from ..fsm._states import Role, SessionState
from ..fsm.errors import StartFailedError
from .aio import in_context, uncancellable
from .managed import Managed


def adapter_name(kind: type[fx.Effect]) -> str:
    """The `EffectRunner` method that runs an effect: its class name in snake_case
    (`ClaimPrimary` -> `claim_primary`)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", kind.__name__).lower()


#: The adapter method of each effect that does work (`fx.SIGNALS` only tell the runtime).
ADAPTERS: dict[type[fx.Effect], str] = {
    kind: adapter_name(kind) for kind in fx.EFFECTS if kind not in fx.SIGNALS
}


class Executor(Protocol):
    """What the coordinator runs effects with (the test kit wraps it to inject faults): `run`
    executes the effect, or returns the awaitable that does (an `async def run` always does)."""

    def run(self, m: Managed, effect: fx.Effect) -> Awaitable[None] | None: ...


async def execute(executor: Executor, m: Managed, effect: fx.Effect) -> None:
    """Run one effect to its end through `executor`, whichever way it runs it: what a wrapping
    executor (faults, probes) calls on the executor it wraps."""
    pending = executor.run(m, effect)
    if pending is not None:
        await pending


class EffectRunner:
    def __init__(
        self,
        *,
        job: JobContext | None,
        room: rtc.Room | None,
        export_timeout: float,
        primary_span: Callable[[], Span | None],
    ) -> None:
        self.job = job
        #: The room's topic registry, shared with every coordinator on that room.
        self.topics = RoomTopics.of(room) if room is not None else None
        self.export_timeout = export_timeout
        self.primary_span = primary_span
        #: None without a job, or on a livekit without session recording (before 1.3)
        self.recordings = (
            Recordings(job) if job is not None and CAPABILITIES.session_recording else None
        )
        self._run: dict[type[fx.Effect], Callable[[Managed, Any], Awaitable[None] | None]] = {
            kind: getattr(self, name) for kind, name in ADAPTERS.items()
        }

    def run(self, m: Managed, effect: fx.Effect) -> Awaitable[None] | None:
        """The adapter call itself: a synchronous effect is done on return (no coroutine to make
        and await: effects are many and small), an awaiting one returns its coroutine."""
        return self._run[type(effect)](m, effect)

    # ------------------------------------------------------------------ designation

    def claim_primary(self, m: Managed, effect: fx.ClaimPrimary) -> None:
        if self.job is not None:
            agents.set_job_primary(self.job, m.session)

    def release_primary(self, m: Managed, effect: fx.ReleasePrimary) -> None:
        """As `fx.ReleasePrimary` says: the designation only while it is still this session's,
        and the recording folder."""
        if self.job is not None and agents.job_primary(self.job) is m.session:
            agents.set_job_primary(self.job, None)
        if self.recordings is not None:
            self.recordings.restore()

    # ------------------------------------------------------------------ trace context

    def attach_context(self, m: Managed, effect: fx.AttachContext) -> None:
        m.context = telemetry.new_context()

    def detach_context(self, m: Managed, effect: fx.DetachContext) -> None:
        if m.context is not None:
            agents.detach_trace_token(m.session, m.context)
            m.context = None

    # ------------------------------------------------------------------ the livekit session

    async def start_session(self, m: Managed, effect: fx.StartSession) -> None:
        topics = self.topics
        options = m.room_options
        try:
            if topics is not None:
                primary = effect.role is Role.PRIMARY  # the table's role decides the topics
                plan = topics.plan(m.key, m.room_options, primary=primary)
                options, m.denied_topics = plan.options, dict(plan.denied)
                if effect.host:
                    topics.host_free(m.key)
            if effect.record and self.recordings is not None:
                self.recordings.prepare(m.key)
        except BaseException:  # refused before livekit's start: give back what was reserved
            if topics is not None:
                topics.release(m.key)
            if self.recordings is not None:
                self.recordings.restore()
            raise
        before = agents.job_primary(self.job) if self.job is not None else None
        kwargs: dict[str, Any] = CAPABILITIES.start_kwargs(record=effect.record, host=effect.host)
        if m.room is not None:
            kwargs["room"] = m.room
        kwargs |= roomio.start_kwargs(options)  # None: livekit's defaults, as without us
        assert m.agent is not None
        assert m.context is not None
        try:
            async with agents.starting(self.job, m.session, m.key, host=effect.host):
                # read again on this start's turn (1.3 and 1.4 run a job's starts one at a time)
                before = agents.job_primary(self.job) if self.job is not None else None
                await in_context(m.session.start(m.agent, **kwargs), m.context)
        except BaseException:
            await uncancellable(self._undo_start(m, effect, before))
            raise
        self._leave_designation(m, effect, before)

    def _leave_designation(self, m: Managed, effect: fx.StartSession, before: Any) -> None:
        """A start that must not hold the designation (`effect.designation` is False) puts back
        the holder it found, when livekit's start made the session the job's primary."""
        if effect.designation or self.job is None:
            return
        if agents.job_primary(self.job) is m.session:
            agents.set_job_primary(self.job, before)

    async def _undo_start(self, m: Managed, effect: fx.StartSession, before: Any) -> None:
        await agents.undo_partial_start(m.session)
        topics = self.topics
        if topics is not None:
            topics.release(m.key)
            if effect.host:
                topics.host_released(m.key)
        self._leave_designation(m, effect, before)
        if effect.record and self.recordings is not None:
            self.recordings.restore()

    async def drain_session(self, m: Managed, effect: fx.DrainSession) -> None:
        if agents.is_running(m.session):
            await m.session.drain()

    async def close_session(self, m: Managed, effect: fx.CloseSession) -> None:
        """Close the livekit session; its `aclose()` closes the host handler too, as it does
        without us (UnregisterHost then records that the topic is free)."""
        await agents.aclose_session(m.session)
        topics = self.topics
        if topics is not None:
            topics.release(m.key)

    # ------------------------------------------------------------------ the span

    def open_span(self, m: Managed, effect: fx.OpenSpan) -> None:
        span = agents.session_span(m.session)
        if span is None and not CAPABILITIES.session_span:
            return  # livekit-agents before 1.2 has no OpenTelemetry: no span to adopt
        if span is None:
            raise StartFailedError(f"session {m.key!r} started without an agent_session span")
        primary = self.primary_span() if effect.role is Role.SECONDARY else None
        m.span = telemetry.adopt(span, key=m.key, role=effect.role.value, primary=primary)
        agents.replace_session_span(m.session, m.span)
        telemetry.record_state(m.span, None, SessionState.STARTING)

    def annotate_span(self, m: Managed, effect: fx.AnnotateSpan) -> None:
        if effect.what == "role":
            telemetry.set_role(m.span, Role.PRIMARY.value)
        else:
            done = m.exports.get(m.recording.path, []) if m.recording is not None else []
            telemetry.link_recording(m.span, [o.to_dict() for o in done if o.error is None])

    def end_span(self, m: Managed, effect: fx.EndSpan) -> None:
        if m.span is not None:
            m.span.finish()

    # ------------------------------------------------------------------ the recording

    def start_recording(self, m: Managed, effect: fx.StartRecording) -> None:
        m.recording_path, m.recording_started_at = Recordings.started(m.session, m.key)
        m.recording = None

    async def stop_recording(self, m: Managed, effect: fx.StopRecording) -> None:
        if m.recording_path is None:
            return
        path, m.recording_path = m.recording_path, None
        m.recording = await Recordings.finalise(m.session, path, m.recording_started_at)
        m.recordings.append(m.recording)

    async def export_recording(self, m: Managed, effect: fx.ExportRecording) -> None:
        if m.recording is None or not m.exporters:
            return
        rec = m.recording
        info = RecordingInfo(
            session=m.key,
            session_id=f"{m.key}#{len(m.recordings)}",
            room=m.room.name if m.room is not None else None,
            job_id=self.job.job.id if self.job is not None else None,
            path=rec.path,
            started_at=rec.started_at,
            ended_at=rec.ended_at,
            bytes=rec.bytes,
        )
        outcomes: list[ExportOutcome] = []
        try:  # cut short (job shutdown), the finished exporters' results are still kept
            await run_exporters(m.exporters, info, self.export_timeout, into=outcomes)
        finally:
            m.exports[rec.path] = outcomes
            for outcome in outcomes:
                if outcome.error is not None:
                    telemetry.record_error(
                        m.span, RuntimeError(outcome.error), f"export:{outcome.exporter}"
                    )

    # ------------------------------------------------------------------ the host handler

    def register_host(self, m: Managed, effect: fx.RegisterHost) -> Awaitable[None] | None:
        if not CAPABILITIES.hosting:  # before livekit-agents 1.4 there is nothing to host
            return None
        topics = self.topics
        if topics is None:
            raise StartFailedError(f"session {m.key!r} cannot host without a room", session=m.key)
        if agents.has_host(m.session):  # livekit started it with the session
            topics.host_acquired(m.key)
            return None
        return self._host_promoted(m, topics)

    async def _host_promoted(self, m: Managed, topics: RoomTopics) -> None:
        """A promotion: livekit gives a session its host only at start."""
        topics.host_free(m.key)
        await agents.start_host(m.session, topics.room)
        topics.host_acquired(m.key)

    def unregister_host(self, m: Managed, effect: fx.UnregisterHost) -> Awaitable[None] | None:
        """After CloseSession the host is already closed; undoing a failed start comes here
        first, with the host still running."""
        host = agents.take_host(m.session)
        if host is not None:
            return self._close_host(m, host)
        self._host_released(m)
        return None

    async def _close_host(self, m: Managed, host: agents.Host) -> None:
        await host.aclose()
        self._host_released(m)

    def _host_released(self, m: Managed) -> None:
        if self.topics is not None:
            self.topics.host_released(m.key)


def _may_await(adapter: Callable[..., object]) -> bool:
    """`async def`, or declared to return an awaitable when it has something to wait for."""
    if inspect.iscoroutinefunction(adapter):
        return True
    returns = typing.get_type_hints(adapter)["return"]
    return any(typing.get_origin(kind) is Awaitable for kind in typing.get_args(returns))


_missing = [name for name in ADAPTERS.values() if not callable(getattr(EffectRunner, name, None))]
if _missing:  # a new effect needs its adapter method before anything can run it
    raise TypeError(f"EffectRunner has no adapter method for: {', '.join(_missing)}")

#: The effects whose adapter can await livekit (or an exporter): the only ones that can hang.
#: The others are synchronous writes, done when `EffectRunner.run` returns.
AWAITING: frozenset[type[fx.Effect]] = frozenset(
    kind for kind, name in ADAPTERS.items() if _may_await(getattr(EffectRunner, name))
)
