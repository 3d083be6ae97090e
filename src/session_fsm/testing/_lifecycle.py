"""`LifecycleMachine`: a hypothesis `RuleBasedStateMachine` that drives real sessions through a
real coordinator, with rules generated from the core table, and checks every invariant on the real
objects after every step.

Subclass it to drive *your* code: override `make_session` to build your `AgentSession` and `Agent`,
and `on_started` to run what your entrypoint does once a session runs. Class attributes turn on
fault injection (`with_faults`), per-participant fan-out (`with_participants`) and choose how
many sessions the machine plays with. Each example builds a fresh Room, JobContext and
coordinator on its own event loop.

    class MyEntrypoint(LifecycleMachine):
        with_faults = True

        def make_session(self, name):
            return AgentSession(stt=MySTT()), MyAgent()

    TestMyEntrypoint = MyEntrypoint.TestCase
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from livekit import rtc
from livekit.agents import Agent, AgentSession

from .._runtime.coordinator import SessionCoordinator
from .._runtime.fanout import ParticipantFanout
from ..fsm import _events as events
from ..fsm._events import SessionEvent, Start, event_name
from ..fsm._states import Role, SessionState
from ..fsm._table import TABLE, Table
from ..fsm.errors import SessionLifecycleError
from ._checks import library_tasks, open_files, real_violations
from ._faults import Fault, InjectedFault, inject
from ._offline import in_memory_spans, join, leave, offline_job, offline_room

#: The events a caller sends, and the coordinator method that sends each (named as the event).
CALLER_EVENTS: dict[type[SessionEvent], str] = {e: event_name(e) for e in events.CALLER_EVENTS}

#: Faults are the exception: most effects run as they should. A hang costs a whole
#: `effect_timeout` of real time, so it is the rarest.
FAULTS = st.sampled_from([Fault.NONE] * 10 + [Fault.RAISE] * 2 + [Fault.CANCEL] * 2 + [Fault.HANG])

_index = st.integers(min_value=0, max_value=1_000)


class LifecycleMachine(RuleBasedStateMachine):
    session_count: ClassVar[int] = 3
    with_job: ClassVar[bool] = True
    with_faults: ClassVar[bool] = False
    with_participants: ClassVar[bool] = False
    participant_count: ClassVar[int] = 3
    #: Real livekit closes can take ~0.5 s (a linked participant's track); keep above that, or
    #: slow effects turn into timeouts and examples stop replaying the same way.
    effect_timeout: ClassVar[float] = 1.0
    claim_timeout: ClassVar[float] = 1.0
    #: The core table the coordinator runs (mutation tests swap in a broken one).
    table: ClassVar[Table] = TABLE

    _warm: ClassVar[bool] = False

    def __init__(self) -> None:
        super().__init__()
        if not LifecycleMachine._warm:  # livekit's first start imports for ~1 s: not in a step
            asyncio.run(_warm_up())
            LifecycleMachine._warm = True
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.stack = contextlib.ExitStack()
        self.spans = in_memory_spans()
        self.spans.clear()
        self.log: list[str] = []
        self.sessions: dict[str, AgentSession[Any]] = {}
        self.data: st.DataObject | None = None
        self.fanout: ParticipantFanout | None = None
        self._setup()

    # ------------------------------------------------------------------ hooks for subclasses

    def make_session(self, name: str) -> tuple[AgentSession[Any], Agent]:
        """Build the session (and agent) the machine starts under `name`."""
        return AgentSession(), Agent(instructions=f"You are {name}.")

    async def on_started(self, name: str, session: AgentSession[Any]) -> None:
        """Run what your entrypoint does with a running session."""

    # ------------------------------------------------------------------ plumbing

    def _setup(self) -> None:
        """In the main context (not a task's), so every step's task sees the job."""
        room = offline_room()
        job = self.stack.enter_context(offline_job(room)) if self.with_job else None
        self.coord = SessionCoordinator(
            job=job,
            room=room,
            claim_timeout=self.claim_timeout,
            effect_timeout=self.effect_timeout,
            export_timeout=self.effect_timeout / 2,
            table=self.table,
        )
        self.room: rtc.Room = room
        self.directory = job.session_directory if job is not None else None
        if self.with_faults:
            self.faults = inject(self.coord, self._decide)
        if self.with_participants:
            self.fanout = self.coord.per_participant(
                lambda p: self.make_session(f"participant {p.identity}")
            )

    def _decide(self, effect: object) -> Fault:
        if self.data is None:
            return Fault.NONE
        return self.data.draw(FAULTS, label=f"fault in {type(effect).__name__}")

    def _session(self, index: int) -> tuple[str, AgentSession[Any], Agent | None]:
        name = f"s{index % self.session_count}"
        agent = None
        if name not in self.sessions or not self.coord.manages(self.sessions[name]):
            self.sessions[name], agent = self.make_session(name)
        return name, self.sessions[name], agent

    async def _op(self, op: str, index: int, options: dict[str, Any]) -> None:
        name, session, agent = self._session(index)
        self.log.append(f"{op}({name}{', ' if options else ''}{options or ''})")
        try:
            if op == "start":
                if agent is None:
                    agent = Agent(instructions=f"You are {name}.")
                await self.coord.start(session, agent, name=name, **options)
                running = (SessionState.PRIMARY, SessionState.SECONDARY)
                if self.coord.manages(session) and self.coord.state(session) in running:
                    await self.on_started(name, session)
            elif self.coord.manages(session):
                await getattr(self.coord, op)(session)
        except SessionLifecycleError:
            pass  # a refusal or a failed start: a result, and the state stays consistent
        except (InjectedFault, asyncio.CancelledError):
            if not self.with_faults:
                raise

    def _run(self, work: Awaitable[None], data: st.DataObject | None) -> None:
        self.data = data
        try:
            self.loop.run_until_complete(work)
        finally:
            self.data = None

    # ------------------------------------------------------------------ rules not in the table

    @rule(
        data=st.data(),
        ops=st.lists(
            st.tuples(st.sampled_from(list(CALLER_EVENTS.values())), _index), min_size=2, max_size=3
        ),
    )
    def concurrently(self, data: st.DataObject, ops: list[tuple[str, int]]) -> None:
        """Races: several operations at once (close racing start, drain racing promote...)."""

        async def race() -> None:
            await asyncio.gather(*(self._op(op, i, {}) for op, i in ops))

        self._run(race(), data)

    @precondition(lambda self: self.fanout is not None)
    @rule(index=_index, joining=st.booleans())
    def participant(self, index: int, joining: bool) -> None:
        identity = f"p{index % self.participant_count}"
        present = identity in self.room.remote_participants
        assert self.fanout is not None
        fanout = self.fanout

        async def move() -> None:
            if joining and not present:
                join(self.room, identity)
            elif not joining and present:
                leave(self.room, identity)
            await fanout.settle()

        self.log.append(f"{'join' if joining else 'leave'}({identity})")
        self._run(move(), None)

    # ------------------------------------------------------------------ checks

    @invariant()
    def real_objects_hold(self) -> None:
        broken = real_violations(self.coord, list(self.spans.get_finished_spans()))
        assert not broken, f"{broken} after {self.log}"

    def teardown(self) -> None:
        try:
            self.loop.run_until_complete(self._shutdown())
        finally:  # even when a check failed: no task may outlive its loop
            self.loop.run_until_complete(_cancel_the_rest())
            self.stack.close()
            self.loop.close()
            asyncio.set_event_loop(None)

    async def _shutdown(self) -> None:
        if self.fanout is not None:
            await self.fanout.aclose()
        await self.coord.aclose()
        spans = list(self.spans.get_finished_spans())
        broken = real_violations(self.coord, spans, at_rest=True)
        assert not broken, f"{broken} after {self.log}"
        assert not library_tasks(), f"tasks left: {library_tasks()} after {self.log}"
        if self.directory is not None:
            assert not open_files(self.directory), f"files left open after {self.log}"


async def _cancel_the_rest() -> None:
    """livekit's own background tasks of closed sessions (and, after a failed check, of sessions
    still running): cancelled and awaited, not left to be collected once the loop is closed."""
    leftovers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in leftovers:
        task.cancel()
    await asyncio.gather(*leftovers, return_exceptions=True)


async def _warm_up() -> None:
    """One recorded start and close, through a coordinator: livekit-agents 1.4 cannot start a
    session on an unconnected Room without the library (its RPC methods need a connection)."""
    room = offline_room()
    with offline_job(room) as job:
        coord = SessionCoordinator.for_job(job)
        session: AgentSession[None] = AgentSession()
        await coord.start(session, Agent(instructions="warm up"), record=True)
        await coord.aclose()


def _caller_rule(event: type[SessionEvent]) -> Callable[..., None]:
    op = CALLER_EVENTS[event]
    if event is Start:

        @rule(
            data=st.data(),
            index=_index,
            role=st.sampled_from(Role),
            record=st.sampled_from([None, None, True, False]),
            exporter=st.booleans(),
        )
        def start(
            self: LifecycleMachine,
            data: st.DataObject,
            index: int,
            role: Role,
            record: bool | None,
            exporter: bool,
        ) -> None:
            options: dict[str, Any] = {"role": role}
            if record is not None:
                options["record"] = record
            if exporter:
                from .._adapters.exporters import DirectoryExporter

                root = self.directory or Path(tempfile.gettempdir())
                options["exporter"] = DirectoryExporter(root / "exports")
            if record and not self.with_job:
                return
            self._run(self._op(op, index, options), data)

        return start

    @rule(data=st.data(), index=_index)
    def other(self: LifecycleMachine, data: st.DataObject, index: int) -> None:
        self._run(self._op(op, index, {}), data)

    other.__name__ = op
    return other


# one rule per caller event the table names: the machine cannot drift from the table
for _event in dict.fromkeys(row.event for row in TABLE.rows):
    if _event in CALLER_EVENTS:
        setattr(LifecycleMachine, event_name(_event), _caller_rule(_event))
