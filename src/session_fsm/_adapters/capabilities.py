"""What the installed livekit-agents can do: the ONE place that knows which version does what.

Each capability is a feature test on the installed package (a module that exists, a keyword
`AgentSession.start` takes, an attribute `JobContext.__init__` sets), never a parse of the
version string: a patch release that backports a feature, or a new release that keeps it, is
handled without a table to update. The adapters ask here, and the coordinator refuses at
`start()` what the installed livekit cannot do (`unsupported_by_livekit`).

The library needs two of them, which livekit-agents has from 1.3 on (`REQUIRED`); a start on
an older livekit is refused with `unsupported_by_livekit` naming what is missing. The others
differ within the supported range, and the adapters absorb them:

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
"""

from __future__ import annotations

import importlib.util
import inspect
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
        )

    @property
    def hosting(self) -> bool:
        """Whether a session can host anything at all (1.4's client-events handler, or the
        session host from 1.5); on 1.3 a primary hosts nothing."""
        return self.session_host or self.client_events

    def differences(self) -> dict[str, str]:
        """What differs in the installed livekit-agents, by capability, and what that means for
        the library: the "what differs" of the compatibility table (`make matrix`). A missing
        capability says so (`ABSENT`), one whose presence is the difference too (`PRESENT`);
        `host_opt_out` only matters where livekit has the session host it opts out of."""
        found = {}
        for name, value in attrs.asdict(self).items():
            if value and name in PRESENT:
                found[name] = PRESENT[name]
            elif not value and name in ABSENT:
                if name == "session_host" and self.client_events:
                    continue  # `client_events` says what takes its place
                if name == "host_opt_out" and not self.session_host:
                    continue
                found[name] = ABSENT[name]
        return found

    def refuse_unsupported(self, key: str, *, host: bool | None) -> None:
        """Refuse, before anything changes, a start this livekit cannot do as asked: any start
        when it lacks what the library needs (`REQUIRED`), or an option it has no means for."""
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

    def start_kwargs(self, *, record: bool, host: bool) -> dict[str, bool]:
        """`AgentSession.start`'s keywords for `record` and `host`, as this version takes them
        (before 1.6 there is no `session_host=`: see `agents.withholding_host`)."""
        kwargs = {"record": record}
        if self.host_opt_out:
            kwargs["session_host"] = host
        return kwargs


#: What the library cannot work without (all present from livekit-agents 1.3 on).
REQUIRED = ("primary_designation", "session_recording")


#: What the library does when a capability is missing (one line each, for the table).
ABSENT = {
    "primary_designation": "no primary designation: not supported (start refused)",
    "primary_reentrant": "start() takes only a free designation: the adapter frees the one it "
    "claimed for the primary just before livekit's start, which takes it again (a job's "
    "managed starts run one at a time)",
    "session_recording": "no session recording: not supported (start refused)",
    "session_host": "no session host: a session hosts nothing (host=None hosts nothing, "
    "host=True refused)",
    "host_opt_out": "no start(session_host=): a secondary is kept from hosting by a stand-in "
    "primary during its start; without a job, one session per Room (a second is refused), "
    "host=False refused",
    "recorder_keeps_short_sessions": "livekit's recorder writes every 2.5 s and drops the rest "
    "at close: a shorter session has no recording (nothing exported)",
    "fake_job_context": "no livekit.agents.testing: the offline test kit builds the fake job",
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
