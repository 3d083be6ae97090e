"""livekit-agents `AgentSession` and `JobContext`, and the ONE place the library touches livekit's
private attributes.

Tested on every supported livekit-agents minor (`make matrix`); what differs between them is found
by feature tests in `capabilities.py`, and each function below works on all of them or is only
reached where `CAPABILITIES` says the feature exists. Where an attribute does not exist at all
(before 1.3: no designation, no session host, no recorder, no session-end step; before 1.2: no
session span), the function that touches it is a documented no-op or reports "none". Each
private attribute below is touched because livekit offers no public way to do what the core asks:

- `JobContext._primary_agent_session`: claim and *release* the job's primary designation (livekit
  never releases it, so a later primary fails), and read a holder this library does not manage.
- `JobContext._session_directory`: point each primary's `RecorderIO` at a directory of its own,
  so sequential primaries do not overwrite one `audio.ogg`.
- `JobContext._on_session_end`: wrapped so job shutdown closes every managed session before
  livekit's session-end work and the room disconnect that follows it (and, with
  `JobContext._shutdown_callbacks`, run in livekit's order by the offline test kit).
- `AgentSession._started`: whether the session is running (no public property).
- `AgentSession._session_span`: swapped for a span whose end waits for the recording export.
- `AgentSession._session_ctx_token`: detached at close, in the context that attached it.
- `AgentSession._session_host`: created for a promoted session (livekit gives one only at start),
  and taken out to close it apart when a failed start is undone.
- `JobContext._primary_agent_session` again, on 1.3 and 1.4, during a primary's start
  (`taking_designation`): freed for livekit's `start()`, which takes only a free one.
- `AgentSession._client_events_handler` and `voice.agent_session.ClientEventsHandler` (1.4 only,
  `client_events`): the per-session client-events handler is the host; livekit's class is
  replaced in that module by a subclass that keeps a non-hosting session's handler unstarted
  and registers no RPC methods on an unconnected Room, for the sessions this library starts.
- `AgentSession._recorder_io`, `_room_io`: finalise the recorder; undo a half-done start.
- `JobContext._primary_agent_session` again, on 1.5 only, during a start (`withholding_host`): a
  stand-in holds it so that a secondary gets no session host (1.5 has no `session_host=`).
- `Room._byte_stream_handlers`, `Room._text_stream_handlers`: read who holds which topic.
- `Room._remote_participants`, `Room._local_participant`, `Room._room_queue`: the offline test kit
  seats participants in an unconnected Room, as `connect()` would.
- `JobContext._connected`, `job._JobContextVar`: before 1.6 (no `livekit.agents.testing`), the
  offline test kit builds livekit's fake job itself, as `fake_job_context` does.
- `AgentSession._started`, `_activity`, `_room_io`: on 1.0 only, reset after `aclose()` (1.0
  leaves them set, so the session could never start again; 1.1 resets them itself).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import importlib
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from livekit import rtc
from livekit.agents import AgentSession, JobContext
from livekit.agents.voice.events import CloseEvent
from opentelemetry import context as otel_context
from opentelemetry.trace import Span

from ..fsm.errors import UnsupportedByLivekit
from .capabilities import CAPABILITIES

if TYPE_CHECKING:  # livekit-agents 1.3+ only: imported where used, behind CAPABILITIES
    from livekit.agents.voice.recorder_io import RecorderIO

# --------------------------------------------------------------------------- our own attributes
# The library's per-object state (a job's or room's coordinator, a room's topic registry, the
# coordinator that manages a session) hangs off the livekit object itself, so it lives exactly as
# long as that object: a registry keyed by the object would keep it alive forever.

_PREFIX = "_session_fsm_"


def attached(obj: object, name: str) -> Any:
    return getattr(obj, _PREFIX + name, None)


def attach(obj: object, name: str, value: object) -> None:
    setattr(obj, _PREFIX + name, value)


# --------------------------------------------------------------------------- Room


def byte_stream_topics(room: rtc.Room) -> list[str]:
    return sorted(room._byte_stream_handlers)


def text_stream_topics(room: rtc.Room) -> list[str]:
    return sorted(room._text_stream_handlers)


def stream_handler_tables(room: rtc.Room) -> tuple[Mapping[str, object], Mapping[str, object]]:
    """The Room's byte- and text-stream handler tables, by topic: live views (livekit adds and
    removes handlers in place), to be read only."""
    return room._byte_stream_handlers, room._text_stream_handlers


def seat_participant(room: rtc.Room, participant: rtc.RemoteParticipant) -> None:
    room._remote_participants[participant.identity] = participant


def seat_local_participant(room: rtc.Room, participant_info: Any) -> None:
    """What `connect()` does with the local participant the server reports."""
    room._local_participant = rtc.LocalParticipant(room._room_queue, participant_info)


def unseat_participant(room: rtc.Room, identity: str) -> rtc.RemoteParticipant | None:
    return room._remote_participants.pop(identity, None)


# --------------------------------------------------------------------------- JobContext


def job_primary(job: JobContext) -> AgentSession[Any] | None:
    """The job's primary; None while only the 1.5 stand-in holds it (another start under way
    reads the designation as free, not as a foreign session), and always None before 1.3 (no
    designation: the scope's own ownership is the only one)."""
    if not CAPABILITIES.primary_designation:
        return None
    holder = job._primary_agent_session
    return None if holder is _STAND_IN else holder


@contextlib.contextmanager
def offline_job_context(room: rtc.Room, job_id: str) -> Iterator[JobContext]:
    """A real `fake_job` JobContext for an unconnected Room, made current. livekit's own
    `fake_job_context` where it exists; before it (1.6), the same object built from its parts."""
    if CAPABILITIES.fake_job_context:
        from livekit.agents.testing import fake_job_context

        with fake_job_context(room=room, job_id=job_id) as job:
            yield job
        return
    from livekit.agents import job as job_module
    from livekit.protocol import agent as agent_proto
    from livekit.protocol import models

    info = job_module.RunningJobInfo(
        accept_arguments=job_module.JobAcceptArguments(identity="fake-agent", name="", metadata=""),
        job=agent_proto.Job(
            id=job_id,
            room=models.Room(name=room.name or "fake-room", sid="RM_offline"),
            type=agent_proto.JobType.JT_ROOM,
        ),
        url="",
        token="",
        worker_id="fake",
        **({"fake_job": True} if CAPABILITIES.fake_job_flag else {}),
    )
    proc = job_module.JobProcess(
        executor_type=job_module.JobExecutorType.THREAD, user_arguments=None, http_proxy=None
    )
    job = JobContext(
        proc=proc,
        info=info,
        room=room,
        on_connect=lambda: None,
        on_shutdown=lambda _reason: None,
        inference_executor=_NoInference(),
    )
    job._connected = True  # the Room is the caller's: `connect()`, called by start(), is a no-op
    token = job_module._JobContextVar.set(job)
    try:
        yield job
    finally:
        job_module._JobContextVar.reset(token)


class _NoInference:
    """A job without a worker has no inference process."""

    async def do_inference(self, method: str, data: bytes) -> bytes | None:
        raise NotImplementedError("no inference executor in an offline job")


def set_job_primary(job: JobContext, session: AgentSession[Any] | None) -> None:
    """Claim or release livekit's designation. Before 1.3 livekit has none: a no-op (the core's
    scope ownership alone makes the primary, and nothing at livekit is taken)."""
    if CAPABILITIES.primary_designation:
        job._primary_agent_session = session


def job_records(job: JobContext) -> bool:
    """Whether the job asks its primary to record: the job's `enable_recording`, where livekit
    can record a session (before 1.3 it cannot: a job's setting records nothing)."""
    return CAPABILITIES.session_recording and bool(job.job.enable_recording)


def set_session_directory(job: JobContext, path: Path) -> None:
    job._session_directory = path


def session_directory(job: JobContext) -> Path:
    return job.session_directory


def hook_session_end(
    job: JobContext,
    before: Callable[[], Awaitable[None]],
    after: Callable[[], Awaitable[None]],
) -> None:
    """Run `before` and `after` around livekit's session-end step (which precedes the
    disconnect). Before 1.3 there is no such step (the job disconnects, then runs its shutdown
    callbacks, where the coordinator closes its sessions): nothing to hook."""
    if not CAPABILITIES.session_end_step:
        return
    original = job._on_session_end

    async def on_session_end() -> None:
        await before()
        try:
            await original()
        finally:
            await after()

    job._on_session_end = on_session_end  # type: ignore[method-assign]


def on_job_shutdown(job: JobContext, callback: Callable[[], Awaitable[None]]) -> None:
    """Run `callback` at the job's shutdown. Registered as a plain function of the reason:
    livekit-agents 1.0 counts a bound method's `self` as the reason argument and would call
    `callback(reason)`."""

    async def on_shutdown(reason: str) -> None:
        await callback()

    job.add_shutdown_callback(on_shutdown)


async def run_session_end(job: JobContext) -> None:
    if CAPABILITIES.session_end_step:
        await job._on_session_end()


async def run_shutdown_callbacks(job: JobContext, reason: str) -> None:
    await asyncio.gather(*(callback(reason) for callback in job._shutdown_callbacks))


# --------------------------------------------------------------------------- AgentSession


#: livekit's event emitter calls `inspect.signature()` on every listener at every `emit()` (to
#: pass it only the arguments it takes); a listener that carries its signature makes that a lookup.
_ONE_ARGUMENT = inspect.Signature(
    [inspect.Parameter("event", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
)


def on_close(session: AgentSession[Any], listener: Callable[[CloseEvent], None]) -> None:
    """Call `listener(event)` when the session closes, whoever closed it."""
    listener.__signature__ = _ONE_ARGUMENT  # type: ignore[attr-defined]
    session.on("close", listener)


def close_reason(event: CloseEvent) -> str:
    """Why livekit closed the session (1.0 says nothing: "unknown")."""
    reason = getattr(event, "reason", None)  # 1.1+; a pydantic model has no field to test first
    return "unknown" if reason is None else str(reason.value)


async def aclose_session(session: AgentSession[Any]) -> None:
    """`aclose()`, leaving the session ready to start again on every version: 1.0 keeps it
    marked started (and its closed activity and RoomIO) after close, where `start()` would
    silently do nothing; it is reset here as 1.1 resets it itself."""
    await session.aclose()
    if not CAPABILITIES.close_resets_session:
        session._activity = None
        session._room_io = None
        session._started = False


def off_close(session: AgentSession[Any], listener: Callable[[CloseEvent], None]) -> None:
    session.off("close", listener)


def is_running(session: AgentSession[Any]) -> bool:
    return bool(session._started)


def session_span(session: AgentSession[Any]) -> Span | None:
    """livekit's `agent_session` span; None before 1.2 (no OpenTelemetry in livekit-agents)."""
    return session._session_span if CAPABILITIES.session_span else None


def replace_session_span(session: AgentSession[Any], span: Span) -> None:
    session._session_span = span


def recorder(session: AgentSession[Any]) -> RecorderIO | None:
    """The session's RecorderIO; None before 1.3 (no session recording)."""
    return session._recorder_io if CAPABILITIES.session_recording else None


class Host(Protocol):
    """What the library does with a session's host, whichever kind this livekit has."""

    async def aclose(self) -> None: ...


def has_host(session: AgentSession[Any]) -> bool:
    """Whether the session hosts: livekit's session host (1.5 on), or on 1.4 a started
    client-events handler; on 1.3 a session hosts nothing."""
    if CAPABILITIES.client_events:
        handler = getattr(session, "_client_events_handler", None)
        return handler is not None and bool(handler._started)
    return CAPABILITIES.session_host and session._session_host is not None


def has_trace_token(session: AgentSession[Any]) -> bool:
    return CAPABILITIES.session_trace_token and session._session_ctx_token is not None


def take_host(session: AgentSession[Any]) -> Host | None:
    """Take the session's host out (to close it apart from the session: undoing a failed start).
    On 1.4 an unstarted client-events handler is not a host: it stays (it holds nothing)."""
    if CAPABILITIES.client_events:
        if not has_host(session):
            return None
        handler: Host = session._client_events_handler  # type: ignore[attr-defined]
        session._client_events_handler = None  # type: ignore[attr-defined]
        return handler
    if not CAPABILITIES.session_host:
        return None
    host = session._session_host
    session._session_host = None
    return host


async def start_host(session: AgentSession[Any], room: rtc.Room) -> Host:
    """Give a running (promoted) session the host livekit gives a primary at start (on 1.4,
    start the client-events handler livekit made for it and the adapter kept unstarted)."""
    if CAPABILITIES.client_events:
        attach(session, "client_events", _HOSTS)
        handler = getattr(session, "_client_events_handler", None)
        if handler is None:  # started without a Room: livekit made none
            handler = _client_events_class()(session=session, room_io=session.room_io)
            session._client_events_handler = handler  # type: ignore[attr-defined]
        await handler.start()
        host: Host = handler
        return host
    from livekit.agents.voice.remote_session import RoomSessionTransport, SessionHost

    session_host = SessionHost(RoomSessionTransport(room))
    session_host.register_session(session)
    await session_host.start()
    session._session_host = session_host
    return session_host


@contextlib.asynccontextmanager
async def starting(
    job: JobContext | None, session: AgentSession[Any], key: str, *, host: bool
) -> AsyncIterator[None]:
    """What livekit's `start()` of a managed session needs around it, on this livekit: the
    designation as `start()` takes it (`taking_designation`), and no host for a session that
    must not host (`withholding_host`, and on 1.4 `client_events`)."""
    async with taking_designation(job, session):
        with withholding_host(job, key, host=host), client_events(session, host=host):
            yield


@contextlib.asynccontextmanager
async def taking_designation(
    job: JobContext | None, session: AgentSession[Any]
) -> AsyncIterator[None]:
    """From 1.5 `start()` keeps a designation that already names the starting session, and
    before 1.3 there is none: nothing to do. livekit 1.3 and 1.4 take only a free one (and
    raise "Only one `AgentSession` can be the primary" when the session records), so the
    designation the library claimed for this session is freed just before the start, which
    takes it again. Meanwhile another start
    would find it free and take it: the job's managed starts run one at a time."""
    if job is None or CAPABILITIES.primary_reentrant or not CAPABILITIES.primary_designation:
        yield
        return
    turn: asyncio.Lock | None = attached(job, "start_turn")
    if turn is None:
        turn = asyncio.Lock()
        attach(job, "start_turn", turn)
    async with turn:
        claimed = job._primary_agent_session is session
        if claimed:
            job._primary_agent_session = None
        try:
            yield
        finally:  # a start that failed before taking it: the claim is still the library's
            if claimed and job._primary_agent_session is None:
                job._primary_agent_session = session


#: `attached(session, "client_events")` on 1.4: whether the library lets the session's
#: client-events handler start (it hosts) or keeps it unstarted (it must not host).
_HOSTS, _WITHHELD = "hosts", "withheld"


@contextlib.contextmanager
def client_events(session: AgentSession[Any], *, host: bool) -> Iterator[None]:
    """livekit 1.4 gives every session started with a Room a client-events handler (RPC methods
    on the local participant, the `lk.agent.request` handler), whatever its role, and a second
    one takes the first one's RPC methods and removes them when it closes. The library runs it
    as the host: a session that must not host keeps its handler unstarted (it registers
    nothing, and its close unregisters nothing). livekit builds the handler inside `start()`,
    so its class is livekit's own with this one rule added (`_client_events_class`), which
    changes nothing for a session the library does not start."""
    if CAPABILITIES.client_events:
        _client_events_class()
        attach(session, "client_events", _HOSTS if host else _WITHHELD)
    yield


@functools.cache
def _client_events_class() -> Any:
    """livekit 1.4's `ClientEventsHandler`, put in `agent_session`'s namespace (where `start()`
    finds it) with two rules for the sessions this library starts: it starts only for the host,
    and on an unconnected Room it registers no RPC methods. Registering one is an FFI request on
    the local participant, which only a connected Room has (offline it fails with an
    AssertionError); nobody can call an unconnected Room's methods, and `connect()` replaces
    the local participant anyway. In a worker the Room is connected before the handler starts
    (`start()` connects the job first)."""
    agent_session: Any = importlib.import_module("livekit.agents.voice.agent_session")
    livekits: Any = importlib.import_module("livekit.agents.voice.client_events")

    class ManagedClientEvents(livekits.ClientEventsHandler):  # type: ignore[misc]
        async def start(self) -> None:
            if attached(self._session, "client_events") == _WITHHELD:
                return
            await super().start()

        def _register_rpc_handlers(self) -> None:
            managed = attached(self._session, "client_events") is not None
            if managed and not self._room.isconnected():
                return
            super()._register_rpc_handlers()

    agent_session.ClientEventsHandler = ManagedClientEvents
    return ManagedClientEvents


#: What livekit is shown as the job's primary while a session that must not host starts (1.5).
_STAND_IN = object()


@contextlib.contextmanager
def withholding_host(job: JobContext | None, key: str, *, host: bool) -> Iterator[None]:
    """Keep livekit from giving a session that must not host a session host during its start.

    From 1.6 `start(session_host=False)` says so (`CAPABILITIES.start_kwargs`): nothing to do;
    before 1.5 there is no session host (1.4's client-events handler: `client_events`).
    livekit 1.5 hosts every session it sees as the job's primary, which is any session started
    while the designation is free: a stand-in holds the designation during the start. Without
    a job every session is livekit's primary, and nothing keeps one from hosting: refused.
    Before 1.3 nothing hosts at all: nothing to withhold."""
    if host or CAPABILITIES.host_opt_out or not CAPABILITIES.session_host:
        yield
        return
    if job is None:
        raise UnsupportedByLivekit(
            f"session {key!r} must not host 'lk.agent.session' (another session hosts it, or "
            "host=False), but without a job livekit-agents 1.5 gives every session a host and "
            "has no session_host= to decline. Start it under a JobContext, or use "
            "livekit-agents 1.6 or later.",
            session=key,
        )
    stand_in = job._primary_agent_session is None
    if stand_in:
        job._primary_agent_session = _STAND_IN  # type: ignore[assignment]
    try:
        yield
    finally:
        if stand_in and job._primary_agent_session is _STAND_IN:
            job._primary_agent_session = None


def detach_trace_token(session: AgentSession[Any], ctx: contextvars.Context) -> bool:
    """Detach the token `start()` attached, inside the context it was attached in (before
    livekit kept one, it detached its own: nothing to do)."""
    if not CAPABILITIES.session_trace_token:
        return False
    token = session._session_ctx_token
    if token is None:
        return False
    session._session_ctx_token = None
    ctx.run(otel_context.detach, token)
    return True


async def undo_partial_start(session: AgentSession[Any]) -> None:
    """What a `start()` that raised or was cancelled leaves behind: livekit does not undo it,
    and `aclose()` is a no-op on a session that never finished starting."""
    if is_running(session):
        await aclose_session(session)
        return
    host = take_host(session)
    if host is not None:
        await host.aclose()
    rec = recorder(session)
    if rec is not None:
        await rec.aclose()
        session._recorder_io = None
    if session._room_io is not None:
        await session._room_io.aclose()
        session._room_io = None
    if session._activity is not None:
        await session._activity.aclose()
        session._activity = None
    span = session_span(session)
    if span is not None:
        session._session_span = None
        span.end()
