"""The coordinator's public API: one per ownership scope (a job, or a Room without a job).

`SessionCoordinator` checks what callers pass, names and admits sessions, turns each call into
a core event, and answers queries. The rest has a module of its own, each with one reason to
change: `lanes.py` feeds the core and runs its effects in each session's lane (compensating a
failed start, never cutting a close), `grants.py` holds a start that waits for the releasing
primary, and `hooks.py` turns what livekit does by itself (a session closing, a foreign primary,
the job's end) into events. What changes here: the public signatures and their checks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from livekit import rtc
from livekit.agents import Agent, AgentSession, JobContext
from opentelemetry.trace import Span

from .._adapters import agents, roomio, telemetry
from .._adapters.capabilities import CAPABILITIES
from .._adapters.exporters import ExporterLike, ExportOutcome, check_exporter
from ..fsm._events import Close, Drain, Promote, Start
from ..fsm._invariants import check
from ..fsm._machine import Scope
from ..fsm._states import OwnershipState, Role, SessionState
from ..fsm._table import TABLE, Table
from ..fsm.errors import EffectFailed, ForeignSession, InvalidInput, ScopeClosed
from .aio import uncancellable
from .effects import EffectRunner, Executor
from .fanout import ParticipantFanout
from .hooks import LivekitHooks
from .lanes import Lanes
from .managed import Managed
from .observe import RealObservation

logger = logging.getLogger("session_fsm")


class SessionCoordinator:
    """Starts, drains, closes and promotes `AgentSession`s of one scope, through the core.

    A scope is a job (`for_job`) or, for sessions started without a job, a `Room` (`for_room`):
    at most one session of a scope is the primary. Get the coordinator through `for_job` or
    `for_room`, which return the scope's one coordinator, rather than building it. With a job, it
    registers itself to close every session it manages at the job's shutdown, before the Room
    disconnects.

    Args:
        job: the job whose sessions this coordinator manages (its primary designation, its
            recording setting, its shutdown).
        room: the Room, when there is no job (with a job, the job's Room).
        claim_timeout: how long a start or promotion that wants the primary waits for a
            releasing primary before `claim_timeout` is raised; 10 s. Each call can override it.
        close_timeout: how long `aclose()` (the job's shutdown) gives the closes, then the
            exports still running; 10 s. A close that takes longer is logged; an export still
            running then is cut.
        export_timeout: how long each recording exporter may take after a primary's close; 30 s.
            An exporter that takes longer is recorded as failed.
        effect_timeout: how long any single effect that awaits may take (livekit's start, its
            close, the exporters together); 60 s, and longer than `export_timeout`. A start
            that exceeds it fails with `start_failed` and is undone.
        table: the core's table; only tests of the table itself pass another one.

    Raises:
        TypeError: `job` is not a livekit `JobContext`, or `room` not an `rtc.Room`.
        SessionLifecycleError: `invalid_input` when a timeout is not a positive, finite number,
            or `effect_timeout` is not longer than `export_timeout`.
    """

    def __init__(
        self,
        *,
        job: JobContext | None = None,
        room: rtc.Room | None = None,
        claim_timeout: float = 10.0,
        close_timeout: float = 10.0,
        export_timeout: float = 30.0,
        effect_timeout: float = 60.0,
        table: Table = TABLE,
    ) -> None:
        if job is not None and not isinstance(job, JobContext):
            raise TypeError(f"job must be a livekit JobContext, got {type(job).__name__}")
        if room is not None and not isinstance(room, rtc.Room):
            raise TypeError(f"room must be a livekit rtc.Room, got {type(room).__name__}")
        for name, value in (
            ("claim_timeout", claim_timeout),
            ("close_timeout", close_timeout),
            ("export_timeout", export_timeout),
            ("effect_timeout", effect_timeout),
        ):
            _seconds(name, value)
        if effect_timeout <= export_timeout:
            raise InvalidInput(
                f"effect_timeout ({effect_timeout:g}s) must be longer than export_timeout "
                f"({export_timeout:g}s): the export is one effect, and the effect watchdog would "
                "cut it (and every exporter with it) before the exporters' own timeout. Raise "
                "effect_timeout or lower export_timeout."
            )
        self.job = job
        self.room = room if room is not None else (job.room if job is not None else None)
        self.claim_timeout = float(claim_timeout)
        self.close_timeout = float(close_timeout)
        #: No single effect (a livekit start, a close, the exporters together) may take longer.
        self.effect_timeout = float(effect_timeout)
        record_default = agents.job_records(job) if job is not None else False
        #: `table` is the core's; only tests of the table itself pass another one.
        scope = Scope(record_default=record_default, table=table)
        self._managed: dict[str, Managed] = {}
        self._by_id: dict[int, str] = {}
        self._names = 0
        #: The per-participant fan-outs on this scope: shutdown closes them first.
        self._fanouts: list[ParticipantFanout] = []
        self._joins = 0
        #: Set by `shutdown()` (the job's end): no start after it.
        self.shut_down = False
        runner = EffectRunner(
            job=job,
            room=self.room,
            export_timeout=float(export_timeout),
            primary_span=self._primary_span,
        )
        self._lanes = Lanes(
            scope, runner, managed=self._managed, effect_timeout=self.effect_timeout
        )
        self._hooks = LivekitHooks(
            job=job,
            lanes=self._lanes,
            close=self.close,
            shutdown=self.shutdown,
            ours=lambda session: id(session) in self._by_id,
        )

    @property
    def scope(self) -> Scope:
        """The core this coordinator feeds (one per scope): read it, do not feed it."""
        return self._lanes.scope

    @scope.setter
    def scope(self, scope: Scope) -> None:
        self._lanes.scope = scope

    @property
    def runner(self) -> Executor:
        """What runs each effect through the adapters (the test kit wraps it to inject
        faults)."""
        return self._lanes.runner

    @runner.setter
    def runner(self, runner: Executor) -> None:
        self._lanes.runner = runner

    # ------------------------------------------------------------------ construction

    @classmethod
    def for_job(cls, ctx: JobContext, **options: Any) -> SessionCoordinator:
        """The coordinator of this job: the same one every time it is asked for.

        Args:
            ctx: the job's `JobContext`, as livekit passes it to the entrypoint.
            **options: the keyword arguments of `SessionCoordinator` (`claim_timeout`,
                `close_timeout`, `export_timeout`, `effect_timeout`), used when the coordinator
                is made, by the first call; later calls return it unchanged.

        Raises:
            TypeError: `ctx` is not a livekit `JobContext`.
            SessionLifecycleError: `invalid_input` when a timeout is not a positive number.
        """
        if not isinstance(ctx, JobContext):
            raise TypeError(f"for_job takes a livekit JobContext, got {type(ctx).__name__}")
        return cls._of(ctx, job=ctx, **options)

    @classmethod
    def for_room(cls, room: rtc.Room, **options: Any) -> SessionCoordinator:
        """The coordinator of this Room, for sessions started without a job: the same one every
        time it is asked for. `record=True` needs a job; everything else works the same.

        Args:
            room: the `rtc.Room` the sessions run in.
            **options: as for `for_job`, used by the first call.

        Raises:
            TypeError: `room` is not a livekit `rtc.Room`.
            SessionLifecycleError: `invalid_input` when a timeout is not a positive number.
        """
        if not isinstance(room, rtc.Room):
            raise TypeError(f"for_room takes a livekit rtc.Room, got {type(room).__name__}")
        return cls._of(room, room=room, **options)

    @classmethod
    def _of(cls, scope: JobContext | rtc.Room, **options: Any) -> SessionCoordinator:
        """One coordinator per scope object, kept on the object (it lives as long as it does)."""
        found: SessionCoordinator | None = agents.attached(scope, "coordinator")
        if found is None:
            found = cls(**options)
            agents.attach(scope, "coordinator", found)
        return found

    # ------------------------------------------------------------------ queries

    def state(self, session: AgentSession[Any]) -> SessionState:
        """The session's state now.

        Raises:
            SessionLifecycleError: `invalid_input` when this coordinator does not manage it.
        """
        return self.scope.state(self._key(session))

    def name(self, session: AgentSession[Any]) -> str:
        """The session's name in this scope: `name=` given at its first start, else
        `session-<n>` (`<identity>#<n>` for the per-participant sessions).

        Raises:
            SessionLifecycleError: `invalid_input` when this coordinator does not manage it.
        """
        return self._key(session)

    @property
    def ownership(self) -> OwnershipState:
        """The scope's primary designation: vacant, claimed, held or releasing."""
        return self.scope.ownership

    @property
    def primary(self) -> AgentSession[Any] | None:
        """The session holding the scope's primary designation (None if vacant or foreign)."""
        holder = self.scope.holder
        if holder is None or self.scope.foreign:
            return None
        return self._managed[holder].session

    def manages(self, session: AgentSession[Any]) -> bool:
        """Whether the session was started through this coordinator (and not forgotten)."""
        return id(session) in self._by_id

    def sessions(self) -> dict[str, AgentSession[Any]]:
        """Every session this coordinator manages, closed ones included, by name."""
        return {key: m.session for key, m in self._managed.items()}

    def recording_path(self, session: AgentSession[Any]) -> Path | None:
        """The path of the session's current (or last finished) recording, None if it never
        recorded. Each recording is in a directory of its own, under the job's session
        directory.

        Raises:
            SessionLifecycleError: `invalid_input` when this coordinator does not manage it.
        """
        m = self._managed[self._key(session)]
        if m.recording_path is not None:
            return Path(m.recording_path)
        return m.recording.path if m.recording is not None else None

    def exports(self, session: AgentSession[Any]) -> list[ExportOutcome]:
        """Every export outcome of the session's recordings, oldest recording first: one per
        exporter per recording, with the `url` and `id` it returned or the `error` it hit.

        Raises:
            SessionLifecycleError: `invalid_input` when this coordinator does not manage it.
        """
        m = self._managed[self._key(session)]
        return [o for rec in m.recordings for o in m.exports.get(rec.path, [])]

    def denied_topics(self, session: AgentSession[Any]) -> dict[str, str]:
        """RoomIO topics the session did not get, and who holds them (it was told at start).

        Raises:
            SessionLifecycleError: `invalid_input` when this coordinator does not manage it.
        """
        return dict(self._managed[self._key(session)].denied_topics)

    def managed(self, key: str) -> Managed:
        """What the runtime keeps for the session named `key` (KeyError if none)."""
        return self._managed[key]

    def violations(self) -> list[str]:
        """The invariants, checked on the real Room, JobContext, recorder and spans: one line per
        violation, empty when all hold. Meant for tests and diagnostics, between operations."""
        return check(self.scope, RealObservation(self), quiescent=True)

    # ------------------------------------------------------------------ operations

    async def start(
        self,
        session: AgentSession[Any],
        agent: Agent,
        *,
        role: Role | str = Role.AUTO,
        record: bool | None = None,
        host: bool | None = None,
        exporter: ExporterLike | Sequence[ExporterLike] | None = None,
        room_options: roomio.Options | None = None,
        name: str | None = None,
        claim_timeout: float | None = None,
    ) -> SessionState:
        """Start `session` with `agent` in this scope; returns the state it lands in.

        The role is resolved against the scope: `auto` takes the primary when it is vacant, runs
        as a secondary beside a claimed or held one, and waits (up to `claim_timeout`) while the
        holder is releasing. A start of a session that is already running changes nothing and
        returns its state; a restart of a session whose last recording is still exporting waits
        for that export first. If the start fails or the caller is cancelled, everything it had
        taken is released before the error propagates.

        Args:
            session: a livekit `AgentSession`, not managed by another coordinator. A closed
                session can be started again.
            agent: the livekit `Agent` it runs.
            role: `"auto"` (the default), `"primary"` or `"secondary"` (or a `Role`).
            record: record with livekit's `RecorderIO` (primary only; needs a job). None: the
                job's recording setting for a primary, no recording for a secondary.
            host: host the Room's `lk.agent.session` topic (primary only). None: a primary hosts.
            exporter: an exporter, or a list of them, run on the recording at close (a primary
                that records only).
            room_options: livekit's `RoomOptions`, passed through to its `start()` (before
                livekit-agents 1.3: a `RoomInputOptions` or a `LegacyRoomOptions`).
            name: the session's name in this scope (default `session-<n>`), given at its first
                start.
            claim_timeout: this start's wait for a releasing primary, instead of the
                coordinator's.

        Returns:
            `SessionState.PRIMARY` or `SessionState.SECONDARY`; `SessionState.CLOSED` when a
            close arrived while it was starting (or waiting).

        Raises:
            SessionLifecycleError: with one of these codes, and nothing started or changed:
                `primary_conflict` (`role="primary"` while another session holds or claimed the
                primary); `recording_requires_primary`, `host_requires_primary`,
                `exporter_requires_primary` (`record=True`, `host=True` or an exporter on a
                session that resolves to secondary); `exporter_requires_recording` (an exporter
                on a primary that will not record); `claim_timeout` (the releasing primary did
                not let go in time); `invalid_input` (unknown role, non-positive
                `claim_timeout`, a session another coordinator manages, a name already taken
                or different from the session's, `record=True` without a job, `host=True`
                without a room); `scope_closed` (the job or Room was shut down);
                `foreign_session` (the session was already started directly with livekit);
                `unsupported_by_livekit` (the installed livekit-agents lacks an option asked
                for). `start_failed` when livekit's start or one of its effects
                failed or exceeded `effect_timeout`: everything it had taken was released, and
                the cause is chained.
            TypeError: `session`, `agent`, `record`, `host`, `room_options` or `exporter` is
                not of the type above.
        """
        key, m = self._admit(session, name)
        self._refuse_if_shut(key)
        if self.scope.at_rest(key):
            self._refuse_foreign(session, key)
        role_ = _role(role, key)
        if not isinstance(agent, Agent):
            raise TypeError(f"session {key!r}: agent must be a livekit Agent, got {agent!r}")
        for flag, value in (("record", record), ("host", host)):
            if value is not None and not isinstance(value, bool):
                raise TypeError(
                    f"session {key!r}: {flag} must be True, False or None, got {value!r}"
                )
        if room_options is not None and not isinstance(room_options, roomio.OPTION_TYPES):
            raise TypeError(
                f"session {key!r}: room_options must be {roomio.OPTION_NAMES}, got {room_options!r}"
            )
        exporters = _exporters(exporter)
        timeout = self._timeout(claim_timeout)
        if record and self.job is None:
            raise InvalidInput(
                f"session {key!r}: record=True needs a JobContext (livekit's RecorderIO writes "
                "to the job's session directory); use SessionCoordinator.for_job(ctx).",
                session=key,
            )
        if host and self.room is None:
            raise InvalidInput(f"session {key!r}: host=True needs a room", session=key)
        CAPABILITIES.refuse_unsupported(key, host=host, record=record, exporter=bool(exporters))
        if m.exporting is not None:  # its last recording is still exporting: let it finish
            await m.closed.wait()
        self._hooks.sync_foreign()
        event = Start(
            key,
            role_,
            record=record,
            host=False if self.room is None or not CAPABILITIES.hosting else host,
            exporter=bool(exporters),
        )
        effects = self._lanes.feed(event)  # refused: raises, and `m` is not kept
        self._register(m)
        if not effects:
            if m.starting is not None:  # a start under way: this one has the same outcome
                return await asyncio.shield(m.starting)
            return self.scope.state(key)
        m.agent, m.room, m.room_options, m.exporters = agent, self.room, room_options, exporters
        self._hooks.listen(m)
        outcome = m.starting = asyncio.get_running_loop().create_future()
        try:
            state = await self._lanes.run_start(m, effects, timeout)
        except asyncio.CancelledError:  # this caller's cancellation is not another's: they
            outcome.set_result(self.scope.state(key))  # see where the undone start left it
            raise
        except BaseException as exc:
            outcome.set_exception(exc)
            outcome.exception()  # seen: nobody else may be waiting for it
            raise
        else:
            outcome.set_result(state)
            return state
        finally:
            m.starting = None

    async def drain(self, session: AgentSession[Any]) -> SessionState:
        """Drain a running session with livekit's `drain()`, which lets its agent finish the
        speech already scheduled. It stays `draining`, keeping what it holds, until closed.

        Returns:
            `SessionState.DRAINING` (a session already draining stays so).

        Raises:
            SessionLifecycleError: `invalid_transition` when the session is not running as
                primary or secondary (created, starting or closed); `invalid_input` when this
                coordinator does not manage it; `effect_failed` when livekit's drain failed or
                exceeded `effect_timeout` (the cause is chained; close the session to end it).
        """
        key = self._key(session)
        effects = self._lanes.feed(Drain(key))
        if effects:
            m = self._managed[key]
            try:
                await self._lanes.run_all(m, effects)
            except Exception as exc:
                telemetry.record_error(m.span, exc, "drain")
                raise EffectFailed(
                    f"draining session {key!r} failed ({type(exc).__name__}: {exc}); it is "
                    f"{self.scope.state(key).value}: close it to end it.",
                    session=key,
                ) from exc
        return self.scope.state(key)

    async def close(self, session: AgentSession[Any], *, wait_export: bool = False) -> SessionState:
        """Close the session; it waits for a start or close already under way.

        It returns once the livekit session is closed, its recording finalised and everything it
        shared (the job's primary designation, the Room's topics) released, so the next primary
        finds everything free. A primary's exporters then run in the background (each bounded by
        `export_timeout`); the references go on the span, and the span ends after them. A close
        is not cut by the caller's cancellation (it is deferred until the close is done). A
        failing cleanup step is retried, then logged and recorded on the span; it never stops
        the close half-way, and the close does not raise it.

        Args:
            session: a session of this coordinator.
            wait_export: also wait for the export and the span's end, as
                `await coord.exports_done(session)` does.

        Returns:
            `SessionState.CLOSED`; `SessionState.DRAINING` while its recording is still being
            exported; `SessionState.CREATED` for a session never started.

        Raises:
            SessionLifecycleError: `invalid_input` when this coordinator does not manage it.
            TypeError: `wait_export` is not a bool.
        """
        key = self._key(session)
        if type(wait_export) is not bool:
            raise TypeError(f"session {key!r}: wait_export must be True or False")
        m = self._managed[key]
        if self.scope.state(key) is SessionState.CREATED:
            return SessionState.CREATED
        effects = self._lanes.feed(Close(key))
        if effects:
            await uncancellable(self._lanes.close_down(m, effects))
        elif self.scope.state(key) is not SessionState.CLOSED:
            await m.released.wait()
        if wait_export:
            await m.closed.wait()
        # whoever else waited for the same close may have forgotten the session meanwhile (the
        # per-participant fan-out does, once it is closed)
        return self.scope.state(key) if self._managed.get(key) is m else SessionState.CLOSED

    async def exports_done(self, session: AgentSession[Any]) -> list[ExportOutcome]:
        """Wait until the session's close has exported its recording and ended its span; its
        export outcomes (`exports(session)`)."""
        key = self._key(session)
        m = self._managed[key]
        if self.scope.state(key) is not SessionState.CREATED:
            await m.closed.wait()
        return self.exports(session)

    async def promote(
        self, session: AgentSession[Any], *, claim_timeout: float | None = None
    ) -> SessionState:
        """Make a running secondary the primary (it waits while the holder is releasing).

        The promoted session takes the designation and hosts `lk.agent.session`; a running
        session cannot grow a recorder, so it does not record. A failed promotion leaves it
        running as a secondary.

        Args:
            session: a session of this coordinator, running as secondary.
            claim_timeout: this promotion's wait for a releasing primary, instead of the
                coordinator's.

        Returns:
            `SessionState.PRIMARY` (a primary stays so); `SessionState.SECONDARY` or
            `SessionState.CLOSED` when a close arrived meanwhile.

        Raises:
            SessionLifecycleError: `primary_conflict` while another session holds or claimed
                the primary; `invalid_transition` when the session is not running (created,
                starting, draining or closed); `claim_timeout` when the releasing primary did
                not let go in time; `start_failed` when taking the designation or the host
                topic failed (the session is a secondary again); `invalid_input` when this
                coordinator does not manage it, or for a non-positive `claim_timeout`.
        """
        key = self._key(session)
        timeout = self._timeout(claim_timeout)
        self._hooks.sync_foreign()
        effects = self._lanes.feed(Promote(key))
        if not effects:
            return self.scope.state(key)
        return await self._lanes.run_start(self._managed[key], effects, timeout)

    @contextlib.asynccontextmanager
    async def session(
        self, session: AgentSession[Any], agent: Agent, **options: Any
    ) -> AsyncIterator[AgentSession[Any]]:
        """`async with coord.session(s, agent): ...` starts it and always closes it.

        Takes the keyword arguments of `start`, and raises what `start` raises.
        """
        try:
            await self.start(session, agent, **options)
            yield session
        finally:
            if self.manages(session):
                await self.close(session)

    def per_participant(
        self,
        factory: Callable[[rtc.RemoteParticipant], Any],
        *,
        kinds: Iterable[int] | None = None,
    ) -> ParticipantFanout:
        """One listen-only secondary session per remote participant, for as long as they are in
        the Room; the job's shutdown closes the fan-out before the sessions.

        Args:
            factory: called with each `rtc.RemoteParticipant` who joins (those already in the
                Room included); returns an `(AgentSession, Agent)` pair or a
                `ParticipantSession` (to choose the RoomOptions), or an awaitable of either. The
                session is started as a secondary named `<identity>#<n>`, its room input set to
                that participant (by default with `listen_only(identity)`'s options).
            kinds: the participant kinds to follow (livekit's `rtc.ParticipantKind` values);
                default livekit's own default kinds.

        Returns:
            The `ParticipantFanout`: its `sessions` by identity, `settle()` and `aclose()`.

        Raises:
            SessionLifecycleError: `invalid_input` when the coordinator has no Room;
                `scope_closed` when its job or Room was shut down.
            TypeError: `factory` is not callable.
        """
        return ParticipantFanout(self, factory, kinds=kinds)

    def adopt_fanout(self, fanout: ParticipantFanout) -> None:
        """A fan-out on this scope: shutdown closes it before the sessions."""
        self._refuse_if_shut("per_participant")
        self._fanouts.append(fanout)

    def join_name(self, identity: str) -> str:
        """A name for a participant's session no other session of this scope has (two fan-outs
        on one coordinator, or a participant coming back, never clash)."""
        while True:
            self._joins += 1
            name = f"{identity}#{self._joins}"
            if name not in self._managed:
                return name

    async def aclose(self) -> None:
        """Close every fan-out and managed session, then give the exports still running what is
        left of `close_timeout` (see `shutdown()` for the job's end): an export still running
        then is cut (each unfinished exporter gets an error entry, the finished ones keep their
        results, the span ends with them). A livekit close that hangs is bounded by
        `effect_timeout`: a close is never cut half-way. It does not raise: a close that fails
        is logged."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.close_timeout
        fanouts, self._fanouts = self._fanouts, []
        for fanout in fanouts:  # no start may land after this: they are cancelled and undone
            await fanout.aclose()
        live = [m for m in self._managed.values() if not self.scope.at_rest(m.key)]
        results = await asyncio.gather(
            *(asyncio.wait_for(self.close(m.session), self.close_timeout) for m in live),
            return_exceptions=True,
        )
        for m, result in zip(live, results, strict=True):
            if isinstance(result, BaseException):
                logger.error("closing session %r at shutdown: %r", m.key, result)
        exporting = [m.exporting for m in self._managed.values() if m.exporting is not None]
        if exporting:
            _, late = await asyncio.wait(exporting, timeout=max(0.0, deadline - loop.time()))
            for task in late:
                task.cancel()
        await asyncio.gather(*list(self._lanes.tasks), return_exceptions=True)

    async def shutdown(self) -> None:
        """The job's shutdown (livekit calls it; call it yourself for a Room scope you are done
        with): `aclose()`, and from then on every `start()` and `per_participant()` is refused
        with `scope_closed`. `aclose()` alone closes everything and leaves the scope usable."""
        self.shut_down = True
        await self.aclose()

    def forget(self, session: AgentSession[Any]) -> None:
        """Drop a closed session from the scope (the per-participant fan-out does this): the
        coordinator keeps no reference to it, and does not show it to livekit's end-of-job
        report as the last primary.

        Raises:
            SessionLifecycleError: `invalid_transition` when the session is still running
                (close it first); `invalid_input` when this coordinator does not manage it.
        """
        key = self._key(session)
        self.scope.forget(key)
        m = self._managed.pop(key)
        del self._by_id[id(m.session)]
        agents.attach(m.session, "coordinator", None)
        self._hooks.unlisten(m)

    # ------------------------------------------------------------------ the machinery

    def _refuse_foreign(self, session: AgentSession[Any], key: str) -> None:
        """A session livekit already runs, started without this coordinator: refused, not
        adopted (see docs/topics.md): nothing says what its start took."""
        if agents.is_running(session):
            raise ForeignSession(
                f"session {key!r} is already running: it was started directly with livekit "
                "(AgentSession.start), so this coordinator cannot know what it took (the job's "
                "primary designation, the room's topics, its trace context). Close it "
                "(await session.aclose()) and start it through the coordinator.",
                session=key,
            )

    def _refuse_if_shut(self, what: str) -> None:
        if self.shut_down:
            scope = f"job {self.job.job.id!r}" if self.job is not None else "room"
            raise ScopeClosed(
                f"{what}: the coordinator of this {scope} was shut down (its sessions are "
                f"closed, ownership {self.scope.ownership.value}); nothing can start in it. "
                "Start sessions in a live job (a new JobContext, or a new Room's coordinator).",
                session=what,
            )

    def _timeout(self, claim_timeout: float | None) -> float:
        if claim_timeout is None:
            return self.claim_timeout
        return _seconds("claim_timeout", claim_timeout)

    def _check_session(self, session: object) -> None:
        """A livekit AgentSession that no other coordinator manages."""
        if not isinstance(session, AgentSession):
            raise TypeError(f"expected a livekit AgentSession, got {type(session).__name__}")
        owner = agents.attached(session, "coordinator")
        if owner is not None and owner is not self:
            raise InvalidInput(
                "this AgentSession is managed by another coordinator (another job or room); "
                "a session belongs to one scope: use the coordinator that started it."
            )

    def _key(self, session: AgentSession[Any]) -> str:
        key = self._by_id.get(id(session))
        if key is not None and self._managed[key].session is session:
            return key  # one of ours: nothing more to check
        self._check_session(session)
        raise InvalidInput(
            "this AgentSession is managed by no coordinator; start it with this coordinator first."
        )

    def _admit(self, session: AgentSession[Any], name: str | None) -> tuple[str, Managed]:
        """The session's key and record; a new session is only kept once its start is accepted."""
        self._check_session(session)
        key = self._by_id.get(id(session))
        if key is not None:
            if name is not None and name != key:
                raise InvalidInput(f"this session is already named {key!r}, not {name!r}")
            return key, self._managed[key]
        if name is not None and (not isinstance(name, str) or not name):
            raise InvalidInput(f"name must be a non-empty str, got {name!r}")
        if name is None:  # the counter moves only when the start is accepted (`_register`)
            number = self._names + 1
            while f"session-{number}" in self._managed:
                number += 1
            name = f"session-{number}"
        if name in self._managed:
            raise InvalidInput(f"another session is already named {name!r} in this scope")
        return name, Managed(name, session)

    def _register(self, m: Managed) -> None:
        """Keep a session whose first start the core accepted."""
        if m.key in self._managed:
            return
        if m.key.startswith("session-"):
            self._names += 1
        self._managed[m.key] = m
        self._by_id[id(m.session)] = m.key
        agents.attach(m.session, "coordinator", self)

    def _primary_span(self) -> Span | None:
        holder = self.scope.holder
        if holder is None or self.scope.foreign:
            return None
        return self._managed[holder].span


def _seconds(name: str, value: object) -> float:
    """A timeout: a finite, positive int or float (not a bool, not NaN)."""
    if (
        type(value) is bool
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise InvalidInput(f"{name} must be a positive, finite number of seconds, got {value!r}")
    return float(value)


def _role(role: Role | str, key: str) -> Role:
    if isinstance(role, Role):
        return role
    if isinstance(role, str):
        try:
            return Role(role)
        except ValueError:
            pass
    raise InvalidInput(
        f"session {key!r}: unknown role {role!r}; use 'auto', 'primary' or 'secondary' "
        "(or session_fsm.Role).",
        session=key,
    )


def _exporters(
    exporter: ExporterLike | Sequence[ExporterLike] | None,
) -> tuple[ExporterLike, ...]:
    if exporter is None:
        return ()
    many = isinstance(exporter, list | tuple)
    items: Sequence[object] = exporter if many else [exporter]  # type: ignore[assignment]
    return tuple(check_exporter(e) for e in items)
