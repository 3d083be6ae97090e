"""What the installed livekit-agents can do: the ONE place that knows which version does what.

Each capability is a feature test on the installed package (a module that exists, a keyword
`AgentSession.start` takes, an attribute `JobContext.__init__` sets), never a parse of the
version string: a patch release that backports a feature, or a new release that keeps it, is
handled without a table to update. The adapters ask here, and the coordinator refuses at
`start()` what the installed livekit cannot do (`unsupported_by_livekit`).

A livekit-agents with a primary designation (1.3 on) must also record sessions for the library
to manage it (`REQUIRED`, 1.3 on); a start on a livekit that has the designation without it is
refused with `unsupported_by_livekit` naming what is missing. Before 1.3 there is no designation
at all (nor session host, nor session recording): the core's scope ownership alone decides who
is primary, and a start that asks for what is missing (`record=True`, an exporter, `host=True`)
is refused (`refuse_unsupported`). The others differ within the supported range, and the
adapters absorb them:

- `primary_designation` (1.3 on): `JobContext._primary_agent_session`, taken by the first
  session under a job and never released. Before 1.3 there is no designation (nor its bugs;
  the pre-connect handler a closing second session removes is there from 1.0).
- `primary_reentrant` (1.5 on): `start()` keeps a designation that already names the starting
  session (the library designates a primary before livekit starts it). 1.3 and 1.4 take only a
  free designation and raise "Only one `AgentSession`..." otherwise: there the adapter frees
  the designation it claimed just before livekit's start, which takes it again, and runs the
  job's managed starts one at a time meanwhile (`agents.starting`).
- `session_recording` (1.3 on): `AgentSession.start(record=...)` and livekit's `RecorderIO`
  writing `job.session_directory / "audio.ogg"`.
- `session_host` (1.5 on): the session host and its `lk.agent.session` byte-stream handler
  (`voice.remote_session`), given by livekit to the primary only.
- `client_events` (1.4 only): instead of a session host, every session started with a Room
  gets a client-events handler (`voice.client_events`) that registers four RPC methods on the
  local participant and the `lk.agent.request` text-stream handler, whatever its role. The
  adapter makes it the host: a session that must not host keeps its handler unstarted, a
  promoted one starts it; on an unconnected Room (offline) it registers no RPC methods, which
  need a connected participant. 1.3 has neither: a session hosts nothing there.
- `host_opt_out` (1.6 on): `AgentSession.start(session_host=...)`. On 1.5 livekit hosts every
  session it sees as primary: under a job a secondary is kept from hosting by showing livekit a
  stand-in primary during its start (`agents.withholding_host`); without a job every session is
  livekit's primary, so a session that must not host is refused, as is `host=False`.
- `recorder_keeps_short_sessions` (1.7 on): livekit's `RecorderIO` writes all it captured at
  close. Before, it writes the input every 2.5 s and drops the rest at close, so a session
  shorter than that leaves no file: the library reports no recording for it.
- `fake_job_context` (1.6 on): `livekit.agents.testing.fake_job_context`; the offline test kit
  builds the same real `JobContext` from its parts when it is missing.

Before 1.3 (livekit-agents 1.0 to 1.2), besides the designation, host and recording:

- `room_options` (1.3 on): `room_io.RoomOptions`. Before, `AgentSession.start` takes
  `room_input_options=` and `room_output_options=`; `roomio.py` absorbs it.
- `session_span` (1.2 on): livekit's `agent_session` span (`AgentSession._session_span`).
  1.0 and 1.1 have no OpenTelemetry at all: the library's span effects do nothing there.
- `session_end_step` (1.3 on): `JobContext._on_session_end`, livekit's step before the room
  disconnect at job shutdown. Before, the job disconnects first and then runs the shutdown
  callbacks, where the coordinator closes its sessions.
- `close_resets_session` (1.1 on): `AgentSession.aclose()` leaves the session ready to start
  again. 1.0 keeps `_started` (and its closed RoomIO and activity) after close: the adapter
  resets them (`agents.aclose_session`), as 1.1 does.
- `session_trace_token` (1.3 on): livekit leaves the session's trace context attached after
  start (the library detaches it at close); before, there is nothing to detach.
- `chat_released_at_close` (1.1 on): RoomIO removes its `lk.chat` handler at close. 1.0 leaves
  it behind; the library removes the handler its session owned (`RoomTopics.release`).
- `session_shutdown` (1.2 on): `AgentSession.shutdown()`; before, a session closes itself only
  on an error, which the coordinator notices the same way.
- `fake_job_flag` (1.3 on), `language_code` (1.4 on): `RunningJobInfo.fake_job` and
  `LanguageCode`, which the offline test kit uses where they exist.

(Where a version is named above it is for the reader: the tests below are what decides.)
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import inspect
import sys
from collections.abc import Callable
from importlib import metadata

import attrs
from livekit.agents import AgentSession, JobContext

from ..fsm.errors import UnsupportedByLivekit


def _has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


def _start_takes(keyword: str) -> bool:
    return keyword in inspect.signature(AgentSession.start).parameters


def _start_reads(code: str) -> bool:
    """Whether `AgentSession.start` has this test in its source (where no public name differs)."""
    try:
        return code in inspect.getsource(AgentSession.start)
    except OSError:  # no source shipped: assume the newest behaviour
        return True


def _recorder_keeps_short_sessions() -> bool:
    """The interval recorder (before 1.7) hands its input over in `take_buf` batches."""
    if not _has_module("livekit.agents.voice.recorder_io"):
        return False
    from livekit.agents.voice.recorder_io.recorder_io import RecorderAudioInput

    return not hasattr(RecorderAudioInput, "take_buf")


def _session_sets(attribute: str) -> bool:
    """Whether `AgentSession.__init__` (under livekit's deprecation wrapper) assigns
    `self.<attribute>`."""
    return attribute in inspect.unwrap(AgentSession.__init__).__code__.co_names


def _close_resets_session() -> bool:
    """1.0 sets `_started` back to False only in `__init__`: after close the session cannot
    start again. Later versions set it back in their close (wherever that is split to)."""
    try:
        module = sys.modules[AgentSession.__module__]
        return inspect.getsource(module).count("._started = False") > 1
    except (OSError, TypeError):  # no source shipped: assume the newest behaviour
        return True


def _has_name(module: str, name: str) -> bool:
    return hasattr(importlib.import_module(module), name)


def _room_io_close_unregisters_chat() -> bool:
    """Whether whoever registers `lk.chat` removes it at close: RoomIO, or on 1.4 the
    client-events handler that registers it there."""
    from livekit.agents.voice.room_io import RoomIO

    closes: list[Callable[..., object]] = [RoomIO.aclose]
    if _has_module("livekit.agents.voice.client_events"):
        module = importlib.import_module("livekit.agents.voice.client_events")
        closes.append(module.ClientEventsHandler.aclose)
    try:
        return any("unregister_text_stream_handler" in inspect.getsource(c) for c in closes)
    except OSError:  # no source shipped: assume the newest behaviour
        return True


def _job_info_fields() -> set[str]:
    from livekit.agents.job import RunningJobInfo

    return {field.name for field in dataclasses.fields(RunningJobInfo)}


def _job_sets(attribute: str) -> bool:
    """Whether `JobContext.__init__` assigns `self.<attribute>` (an attribute store names it)."""
    return attribute in JobContext.__init__.__code__.co_names


@attrs.frozen
class Capabilities:
    """The livekit-agents features the adapters use, as found on the installed package."""

    #: `JobContext._primary_agent_session`: the job's primary designation.
    primary_designation: bool
    #: `start()` accepts a designation that already names the starting session (1.5+); before,
    #: livekit takes only a free one and raises "Only one `AgentSession`..." when recording.
    primary_reentrant: bool
    #: `AgentSession.start(record=...)` and a session `RecorderIO` in the job's directory.
    session_recording: bool
    #: The session host and its `lk.agent.session` handler (`voice.remote_session`).
    session_host: bool
    #: livekit-agents 1.4's per-session client-events handler (`voice.client_events`): RPC
    #: methods and `lk.agent.request` for every session with a Room. The adapter runs it as the
    #: host (`agents.client_events`).
    client_events: bool
    #: `AgentSession.start(session_host=...)`: a session livekit sees as primary may decline.
    host_opt_out: bool
    #: The `RecorderIO` writes everything it captured at close (1.7+). Before, the input goes to
    #: disk every 2.5 s and the rest is dropped at close: a shorter session leaves no file, and
    #: the library then reports no recording for it (nothing to export).
    recorder_keeps_short_sessions: bool
    #: `livekit.agents.testing.fake_job_context` (the offline test kit's job).
    fake_job_context: bool
    #: `room_io.RoomOptions` (1.3+); before, `room_input_options=`/`room_output_options=`.
    room_options: bool
    #: livekit's `agent_session` span (1.2+); 1.0 and 1.1 have no OpenTelemetry.
    session_span: bool
    #: `JobContext._on_session_end`, run before the room disconnect at job shutdown (1.3+).
    session_end_step: bool
    #: `aclose()` leaves the session ready to start again (1.1+).
    close_resets_session: bool
    #: `AgentSession._session_ctx_token`: the trace context livekit attaches at start and
    #: leaves attached (not in 1.0 to 1.2).
    session_trace_token: bool
    #: `RunningJobInfo.fake_job` (not in 1.0 to 1.2): the offline test kit sets it where it is.
    fake_job_flag: bool
    #: `livekit.agents.LanguageCode` (not in 1.0 to 1.2, where a language is a plain str).
    language_code: bool
    #: RoomIO removes its `lk.chat` handler at close (1.1+); 1.0 leaves it behind, so no later
    #: session on the Room gets chat: the library removes the handler its session owned.
    chat_released_at_close: bool
    #: `AgentSession.shutdown()` (1.2+): a session ends itself from its own code; before, it
    #: closes itself only on an error (the coordinator notices either the same way).
    session_shutdown: bool

    @classmethod
    def detect(cls) -> Capabilities:
        return cls(
            primary_designation=_job_sets("_primary_agent_session"),
            primary_reentrant=_start_reads("_primary_agent_session is self"),
            session_recording=_start_takes("record")
            and _has_module("livekit.agents.voice.recorder_io"),
            session_host=_has_module("livekit.agents.voice.remote_session"),
            client_events=_has_module("livekit.agents.voice.client_events"),
            host_opt_out=_start_takes("session_host"),
            recorder_keeps_short_sessions=_recorder_keeps_short_sessions(),
            fake_job_context=_has_module("livekit.agents.testing"),
            room_options=_has_name("livekit.agents.voice.room_io", "RoomOptions"),
            session_span=_session_sets("_session_span"),
            session_end_step=hasattr(JobContext, "_on_session_end"),
            close_resets_session=_close_resets_session(),
            session_trace_token=_session_sets("_session_ctx_token"),
            fake_job_flag="fake_job" in _job_info_fields(),
            language_code=_has_name("livekit.agents", "LanguageCode"),
            chat_released_at_close=_room_io_close_unregisters_chat(),
            session_shutdown=hasattr(AgentSession, "shutdown"),
        )

    @property
    def hosting(self) -> bool:
        """Whether a session can host anything at all (1.4's client-events handler, or the
        session host from 1.5); on 1.3 a primary hosts nothing."""
        return self.session_host or self.client_events

    def differences(self) -> dict[str, str]:
        """What differs in the installed livekit-agents, by capability, and what that means for
        the library: the "what differs" of the compatibility table (`make matrix`). A missing
        capability says so (`ABSENT`; one that only means something within another, `WITHIN`,
        only where that one exists), one whose presence is the difference too (`PRESENT`)."""
        found = attrs.asdict(self)
        differs = {}
        for name, value in found.items():
            if value and name in PRESENT:
                differs[name] = PRESENT[name]
            elif not value and name in ABSENT and (name not in WITHIN or found[WITHIN[name]]):
                if name == "session_host" and self.client_events:
                    continue  # `client_events` says what takes its place
                differs[name] = ABSENT[name]
        return differs

    def refuse_unsupported(
        self, key: str, *, host: bool | None, record: bool | None = None, exporter: bool = False
    ) -> None:
        """Refuse, before anything changes, a start this livekit cannot do as asked: any start
        when it lacks what the library needs (`REQUIRED`), or an option it has no means for."""
        if not self.primary_designation:
            self._refuse_without_designation(key, host=host, record=record, exporter=exporter)
            return
        missing = [name for name in REQUIRED if not getattr(self, name)]
        if missing:
            raise UnsupportedByLivekit(
                f"session {key!r}: livekit-agents {installed_version()} has no "
                f"{', '.join(missing)}; this library needs livekit-agents 1.3 or later "
                "(docs/compatibility.md says which version has what).",
                session=key,
            )
        if host is True and not self.hosting:
            raise UnsupportedByLivekit(
                f"session {key!r}: host=True, but livekit-agents {installed_version()} has no "
                "session host (1.4 or later has one): there is nothing to host; leave host out.",
                session=key,
            )
        if host is False and self.session_host and not self.host_opt_out:
            raise UnsupportedByLivekit(
                f"session {key!r}: host=False needs AgentSession.start(session_host=...), which "
                f"livekit-agents {installed_version()} does not have (1.6 or later has it); "
                "leave host out.",
                session=key,
            )

    def _refuse_without_designation(
        self, key: str, *, host: bool | None, record: bool | None, exporter: bool
    ) -> None:
        """livekit-agents before 1.3: no designation to take, nothing hosts, nothing records.
        The scope's own ownership makes the primary (it gets the RoomIO topics); what needs
        livekit's recording or session host is refused, naming the capability."""
        recording = "session recording (AgentSession.start(record=...) and its RecorderIO)"
        asked = [
            (record is True, "record=True", recording, "session_recording"),
            (exporter, "an exporter", recording, "session_recording"),
            (host is True, "host=True", "the session host ('lk.agent.session')", "session_host"),
        ]
        for wanted, what, needs, capability in asked:
            if wanted and not getattr(self, capability):
                raise UnsupportedByLivekit(
                    f"session {key!r}: {what} needs {needs}, which livekit-agents "
                    f"{installed_version()} does not have (no {capability}); leave it out, or "
                    "use livekit-agents 1.3 or later (1.4 or later to host).",
                    session=key,
                )

    def start_kwargs(self, *, record: bool, host: bool) -> dict[str, bool]:
        """`AgentSession.start`'s keywords for `record` and `host`, as this version takes them
        (before 1.6 there is no `session_host=`: see `agents.withholding_host`; before 1.3 no
        `record=` either)."""
        kwargs = {"record": record} if self.session_recording else {}
        if self.host_opt_out:
            kwargs["session_host"] = host
        return kwargs


#: What the library cannot work without where livekit designates a primary (1.3 on): all
#: present from livekit-agents 1.3 on. Before 1.3 there is no designation, and none is needed.
REQUIRED = ("session_recording",)


#: Capabilities that only mean something where another one exists: a livekit without session
#: recording has no recorder to keep short sessions, one without a host no host to decline.
WITHIN = {
    "primary_reentrant": "primary_designation",
    "recorder_keeps_short_sessions": "session_recording",
    "host_opt_out": "session_host",
}


#: What the library does when a capability is missing (one line each, for the table).
ABSENT = {
    "primary_designation": "no primary designation: the scope's own ownership makes the "
    "primary (nothing to take at livekit)",
    "primary_reentrant": "start() takes only a free designation: the adapter frees the one it "
    "claimed for the primary just before livekit's start, which takes it again (a job's "
    "managed starts run one at a time)",
    "session_recording": "no session recording: record=True and exporters refused "
    "(unsupported_by_livekit), a job's enable_recording records nothing",
    "session_host": "no session host (lk.agent.session): nothing hosts; host=True refused "
    "(unsupported_by_livekit)",
    "host_opt_out": "no start(session_host=): a secondary is kept from hosting by a stand-in "
    "primary during its start; without a job, one session per Room (a second is refused), "
    "host=False refused",
    "recorder_keeps_short_sessions": "livekit's recorder writes every 2.5 s and drops the rest "
    "at close: a shorter session has no recording (nothing exported)",
    "fake_job_context": "no livekit.agents.testing: the offline test kit builds the fake job",
    "room_options": "no RoomOptions: room_options= takes RoomInputOptions or "
    "LegacyRoomOptions (input and output), passed as room_input_options=/room_output_options=",
    "session_span": "no OpenTelemetry in livekit-agents: no agent_session span (the library's "
    "span effects do nothing)",
    "session_end_step": "no session-end step before the disconnect at job shutdown: the "
    "coordinator closes its sessions in the job's shutdown callback, after the disconnect",
    "session_trace_token": "livekit leaves no trace context attached after start: nothing to "
    "detach at close",
    "fake_job_flag": "no RunningJobInfo.fake_job: the offline test kit's job goes without it",
    "language_code": "no LanguageCode: the test kit's ScriptedSTT gives the language as a str",
    "chat_released_at_close": "RoomIO never removes its lk.chat handler: the library removes "
    "the one its session owned at close (bare, no later session on the Room gets chat)",
    "session_shutdown": "no AgentSession.shutdown(): a session closes itself only on an error "
    "(noticed the same way)",
    "close_resets_session": "aclose() keeps the session marked started: the adapter resets it "
    "after close, as later versions do",
}

#: What the library does about a capability whose presence differs from the newest livekit.
PRESENT = {
    "client_events": "every session with a Room gets a client-events handler (RPC methods, "
    "lk.agent.request) instead of a session host: only the host's is started (a promoted "
    "session's on promotion); on an unconnected Room it registers no RPC methods",
}


def installed_version() -> str:
    """The installed livekit-agents version: for messages and reports, never for decisions."""
    return metadata.version("livekit-agents")


#: The installed livekit-agents, tested once at import.
CAPABILITIES = Capabilities.detect()
