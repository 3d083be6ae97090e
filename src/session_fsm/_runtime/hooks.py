"""What livekit does behind the coordinator's back, turned into events for the core.

Three things happen outside any call of ours: a session closes itself (an error, livekit's own
shutdown), a session started directly with livekit takes (or keeps) the job's primary
designation, and the job ends (its shutdown callbacks, then livekit's end-of-job report on "the
primary"). Each is observed here and handed to the core, which decides; this module only executes
what it says. What changes here: how livekit tells us, which is also where its versions differ.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from livekit.agents import AgentSession, JobContext
from livekit.agents.voice.events import CloseEvent

from .._adapters import agents
from .managed import Managed

if TYPE_CHECKING:
    from .lanes import Lanes


def unlisten(m: Managed) -> None:
    """Stop listening for the session's own close: livekit's emitter inspects every listener's
    signature at each event, which costs more than the whole listener, so a close the
    coordinator asked for runs without one."""
    if m.on_close is not None:
        agents.off_close(m.session, m.on_close)
        m.on_close = None


class LivekitHooks:
    """The close listeners of one scope's sessions and its job's end-of-job hooks."""

    def __init__(
        self,
        *,
        job: JobContext | None,
        lanes: Lanes,
        close: Callable[[AgentSession[Any]], Awaitable[object]],
        shutdown: Callable[[], Coroutine[Any, Any, None]],
        ours: Callable[[AgentSession[Any]], bool],
    ) -> None:
        self.job = job
        self.lanes = lanes
        #: The coordinator's `close` and `shutdown`: what livekit's own close and the job's end do.
        self._close = close
        self._shutdown = shutdown
        self._ours = ours
        #: The session shown to livekit's end-of-job report as the job's primary, until it ran.
        self._shown_to_report: AgentSession[Any] | None = None
        if job is not None:
            agents.hook_session_end(job, self.before_session_end, self.after_session_end)
            agents.on_job_shutdown(job, shutdown)

    # ------------------------------------------------------------------ a session closing itself

    def listen(self, m: Managed) -> None:
        """Drive the machine to closed when the session closes itself (error, shutdown()...).
        Listening lasts from a start until the coordinator closes the session itself."""
        if m.on_close is not None:
            return

        def on_close(event: CloseEvent) -> None:
            if self.lanes.scope.is_running(m.key):
                self.lanes.spawn(self._closed_by_livekit(m, event))

        m.on_close = on_close
        agents.on_close(m.session, on_close)

    unlisten = staticmethod(unlisten)

    async def _closed_by_livekit(self, m: Managed, event: CloseEvent) -> None:
        if m.span is not None and m.span.is_recording():
            m.span.add_event("lk.session.closed_by_livekit", {"reason": agents.close_reason(event)})
        await self._close(m.session)

    # ------------------------------------------------------------------ the job's designation

    def sync_foreign(self) -> None:
        """Tell the core who holds the job's primary designation when it is not one of ours (a
        session started directly with livekit); clear it when the core says it is stale."""
        if self.job is None:
            return
        holder = agents.job_primary(self.job)
        foreign = holder is not None and not self._ours(holder)
        name = f"AgentSession@{id(holder):x}" if foreign else None
        running = foreign and holder is not None and agents.is_running(holder)
        if self.lanes.scope.see_designation(name, running=running):
            agents.set_job_primary(self.job, None)

    # ------------------------------------------------------------------ the job's end

    async def before_session_end(self) -> None:
        """Job shutdown, before livekit's session-end work and the room disconnect: close
        everything, then show livekit's end-of-job report the primary the core names."""
        await self._shutdown()
        key = self.lanes.scope.report_holder()
        if self.job is not None and key is not None and agents.job_primary(self.job) is None:
            self._shown_to_report = self.lanes.managed[key].session
            agents.set_job_primary(self.job, self._shown_to_report)

    async def after_session_end(self) -> None:
        """Take back what `before_session_end` showed the report, if it is still there."""
        shown, self._shown_to_report = self._shown_to_report, None
        if self.job is not None and shown is not None and agents.job_primary(self.job) is shown:
            agents.set_job_primary(self.job, None)
