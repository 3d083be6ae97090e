"""Breadth-first exploration of every interleaving for N sessions in one scope.

A state is the scope's snapshot, the abstract `World`, and each session's *lane*: the effects it
has been asked for and not yet run. The runtime runs a session's effects one after another, while
other sessions' events and effects interleave freely, so each step is one of:

- a caller event on a session: a start variant, `drain`, `close`, `promote`;
- running the next effect in a session's lane (applied to the `World`);
- a runtime report, when the protocol allows it: `started` once the start's lane is empty,
  `start_failed(completed=k)` at any point of a start (a failure or a cancellation after its k-th
  effect), `closed` once the close's (or the undoing's) lane is empty.

Every step is checked against the `World`'s own misuse checks, and every state, when first
reached, against `invariants.check` (they read the state alone, so once is enough); the first
violation is reported with the shortest trace that reaches it. Running an effect touches only the
resources and a lane, an event only the scope and the lanes, so a step copies only what it
moves. Then each state is driven to the end by closing every session (running lanes, reporting as
the runtime would); a state from which that does not end with every session closed and the scope
vacant is a deadlock.

Partial-order reduction. Sessions are mostly independent, so the full graph is close to the
product of N single-session graphs. When some session is in a *local phase* (every step it can
take touches only its own record, lane and resources: a secondary starting or closing, a holder
running the local part of its close), only that session's steps are expanded: the other sessions'
steps commute with them and are taken later. The reduction is checked, not trusted: if one of
those steps changes the scope's ownership, the waiter or a shared resource (a broken table can
make it do so), or leads back to a state already seen (the cycle proviso), the state is expanded
in full. Sessions are also interchangeable (the same start variants, keys only name them), so
states are stored up to renaming them (symmetry reduction); traces still follow one concrete run.
`reduce=False` explores the full graph.
"""

from __future__ import annotations

import functools
import operator
from collections import deque
from collections.abc import Callable, Iterator
from typing import NamedTuple

import attrs

from . import _effects as fx
from ._events import (
    CALLER_EVENTS,
    REPORT_EVENTS,
    SESSION_EVENTS,
    Close,
    Closed,
    SessionEvent,
    Start,
    Started,
    StartFailed,
    event_name,
)
from ._invariants import check
from ._machine import Scope, ScopeSnapshot, SessionSnapshot
from ._states import AT_REST, OwnershipState, Role, SessionState
from ._table import TABLE, Flag, Table
from ._world import HISTORY, SHARED_EFFECTS, World, WorldSnapshot
from .errors import InvalidInput, SessionLifecycleError

Lanes = tuple[tuple[fx.Effect, ...], ...]


class State(NamedTuple):
    """One explored state: the scope, the resources, and each session's lane."""

    scope: ScopeSnapshot
    world: WorldSnapshot
    lanes: Lanes


def start_variants(key: str) -> tuple[Start, ...]:
    """The starts the explorer tries: each role, recording with an exporter, and one refusal."""
    return (
        Start(key),
        Start(key, Role.AUTO, record=True, exporter=True),
        Start(key, Role.PRIMARY),
        Start(key, Role.SECONDARY),
        Start(key, Role.SECONDARY, record=True),
    )


@attrs.frozen
class Step:
    """One edge of the explored graph: an event fed to the core, or an effect run."""

    label: str
    event: SessionEvent | None = None
    run: int | None = None  # index of the session whose next effect runs


@attrs.define
class Report:
    sessions: int
    states: int = 0
    transitions: int = 0
    refusals: int = 0
    #: How many times each event was accepted, by name: every event the table names must be.
    events: dict[str, int] = attrs.Factory(dict)
    violation: str | None = None
    trace: list[str] = attrs.Factory(list)

    @property
    def ok(self) -> bool:
        return self.violation is None

    def to_dict(self) -> dict[str, object]:
        return {
            "sessions": self.sessions,
            "states": self.states,
            "transitions": self.transitions,
            "refusals": self.refusals,
            "events": self.events,
            "violations": 0 if self.ok else 1,
            "violation": self.violation,
            "trace": self.trace,
        }


class Explorer:
    def __init__(self, sessions: int, *, table: Table = TABLE, record_default: bool = False):
        if type(sessions) is not int or sessions < 1:
            raise InvalidInput(f"sessions must be a positive int, got {sessions!r}")
        if not isinstance(table, Table):
            raise InvalidInput(f"table must be a session_fsm.fsm.Table, got {table!r}")
        unknown = {row.event for row in table.rows} - {*CALLER_EVENTS, *REPORT_EVENTS}
        if unknown:
            names = sorted(e.__name__ for e in unknown)
            raise InvalidInput(f"the table names events the explorer cannot feed: {names}")
        self.keys = tuple(f"s{i + 1}" for i in range(sessions))
        self.accepted: dict[type[SessionEvent], int] = dict.fromkeys(SESSION_EVENTS, 0)
        self.table = table
        self.record_default = record_default
        self._scope = Scope(record_default=record_default, table=table)
        for key in self.keys:
            self._scope.add(key)
        #: The number of each session's part of a canonical state (see `canonical`).
        self._numbers: dict[object, int] = {}
        #: The snapshot `_scope` holds now (None: unknown), so a refusal needs no restore.
        self._loaded: ScopeSnapshot | None = None
        #: Each session's caller events (the same in every state; the core refuses the rest).
        self._caller_steps = tuple(tuple(_caller_steps(key)) for key in self.keys)
        lanes = tuple(() for _ in self.keys)
        self._fresh_world = World().snapshot()
        self.initial = State(self._scope.snapshot(), self._fresh_world, lanes)
        #: The states whose sessions await a runtime report (`started`, `closed`...): a start or
        #: a close under way.
        self._awaiting_report = frozenset(r.source for r in table.rows if r.event in REPORT_EVENTS)

    # ------------------------------------------------------------------ one step

    def steps(self, state: State) -> Iterator[Step]:
        for i in range(len(self.keys)):
            yield from self.session_steps(state, i)

    def session_steps(self, state: State, i: int) -> Iterator[Step]:
        key = self.keys[i]
        record = _record(state, i)
        st, flags, plan = record.state, record.flags, record.plan
        lane = state.lanes[i]
        if lane:
            yield Step(f"run {lane[0]!r}", run=i)
        yield from self._caller_steps[i]
        if st is SessionState.STARTING and Flag.RETRACTING not in flags:
            if not lane and Flag.WAITING not in flags:
                yield Step(f"started({key})", Started(key))
            done = len(plan) - len(lane) if plan else 0
            yield Step(f"start_failed({key}, completed={done})", StartFailed(key, done))
        if (Flag.CLOSING in flags or Flag.RETRACTING in flags) and not lane:
            yield Step(f"closed({key})", Closed(key))

    def apply(self, state: State, step: Step) -> tuple[State, list[str]] | None:
        """The state after `step`, with what broke; None when the core refused the event."""
        result = self._step(state, step)
        if result is None:
            return None
        nxt, broken = result
        return nxt, broken + self.broken_invariants(nxt)

    def broken_invariants(self, state: State) -> list[str]:
        """The invariants broken in `state` (they depend on the state alone, so the search
        checks each state once, when it first reaches it)."""
        self._load(state.scope)
        return check(self._scope, World.from_snapshot(state.world))

    def _step(self, state: State, step: Step) -> tuple[State, list[str]] | None:
        """The state after `step`, with the misuses the step made (the invariants are not
        checked); None when the core refused the event. Running an effect changes only the
        resources and the lane; an event changes only the scope and the lanes."""
        scope_snap, world_snap, lanes = state.scope, state.world, state.lanes
        new_lanes = list(lanes)
        misuse: list[str] = []
        if step.run is not None:
            lane = lanes[step.run]
            world = World.from_snapshot(world_snap)
            world.apply(lane[0])
            world_snap, misuse = world.snapshot(), world.violations
            new_lanes[step.run] = lane[1:]
        else:
            assert step.event is not None
            scope = self._load(scope_snap)
            try:
                effects = scope.handle(step.event)
            except SessionLifecycleError as error:
                if scope.snapshot() != scope_snap:
                    self._loaded = None
                    return state, [f"refusal_changed_state: {step.label} changed the scope"]
                if _plain_auto(step.event):
                    return state, [f"auto_always_starts: {step.label} refused ({error.code})"]
                return None
            except Exception as exc:  # a broken table can trip the machine's own assertions
                self._loaded = None
                return state, [f"core_crashed: {step.label} raised {exc!r}"]
            self.accepted[type(step.event)] += 1
            if type(step.event) is StartFailed:  # the rest of the start never runs
                i = self.keys.index(step.event.session)
                new_lanes[i] = ()
            for effect in effects:
                i = self.keys.index(effect.session)
                if type(effect) not in fx.SIGNALS:
                    new_lanes[i] = new_lanes[i] + (effect,)
            after = scope.snapshot()
            if after == scope_snap and new_lanes == list(lanes):
                return state, misuse  # most starts on a running session: nothing moves
            scope_snap = self._loaded = after
        world_snap = self._forget_history(scope_snap, world_snap, new_lanes)
        return State(scope_snap, world_snap, tuple(new_lanes)), misuse

    def _load(self, snap: ScopeSnapshot) -> Scope:
        """The scope, restored to `snap` unless it already is (a refusal leaves it as it was)."""
        if self._loaded is not snap:
            self._scope.restore(snap)
            self._loaded = snap
        return self._scope

    def _forget_history(
        self, scope: ScopeSnapshot, world: WorldSnapshot, lanes: list[tuple[fx.Effect, ...]]
    ) -> WorldSnapshot:
        """Drop what only mattered while a session was closing once it is at rest."""
        history = set().union(*_history(world))
        if not history:
            return world
        done = [
            key
            for (key, record), lane in zip(scope.sessions, lanes, strict=True)
            if not lane and record.state in AT_REST and key in history
        ]
        if not done:
            return world
        changed = World.from_snapshot(world)
        for key in done:
            changed.forget_history(key)
        return changed.snapshot()

    # ------------------------------------------------------------------ the search

    def run(self, *, max_states: int | None = None, reduce: bool = True) -> Report:
        report = Report(sessions=len(self.keys))
        canon = self.canonical if reduce else _identity
        init = canon(self.initial)
        #: canonical state -> (the concrete state expanded for it, its parent, the step's label)
        seen: dict[object, tuple[State, object, str]] = {init: (self.initial, None, "")}
        queue: deque[tuple[object, State]] = deque([(init, self.initial)])
        while queue and report.ok:
            key, state = queue.popleft()
            successors = (self._reduced(state) if reduce else None) or self._full(state)
            for label, result in successors:
                if result is None:
                    report.refusals += 1
                    continue
                nxt, broken = result
                report.transitions += 1
                nkey = key if nxt is state else canon(nxt)
                new = nkey not in seen
                if broken or new:
                    broken = broken + self.broken_invariants(nxt)
                if broken:
                    report.violation = "; ".join(broken)
                    report.trace = [*self._trace(seen, key), label]
                    break
                if new:
                    seen[nkey] = (nxt, key, label)
                    queue.append((nkey, nxt))
            if max_states is not None and len(seen) >= max_states:
                break
        report.states = len(seen)
        report.events = {event_name(e): n for e, n in self.accepted.items()}
        if report.ok:
            self._check_liveness(seen, canon, report)
        return report

    def canonical(self, state: State) -> object:
        """The state up to renaming the sessions, which are interchangeable: symmetry reduction.

        Read off the fields themselves, so a new one is never left out: each field of the scope
        and the resources that names sessions (a key, or a set of keys) becomes a mark on each
        session it names. What remains is the fields that name no session, and the multiset of
        the sessions' records, lanes and marks without their keys, each numbered the first time
        it is met (small numbers sort, hash and compare faster than what they stand for)."""
        marks = dict.fromkeys(self.keys, 0)
        fields: list[object] = []
        bit = 1
        for value in (*_shared_fields(state.scope), *state.world):
            if type(value) is frozenset:
                for key in value:
                    marks[key] |= bit
                value = _NAMES_SESSIONS
            elif value in marks:
                marks[value] |= bit
                value = _NAMES_SESSIONS
            fields.append(value)
            bit <<= 1
        numbers = self._numbers
        sessions = sorted(
            numbers.setdefault((_unnamed(record), _unnamed(lane), marks[key]), len(numbers))
            for (key, record), lane in zip(state.scope.sessions, state.lanes, strict=True)
        )
        fields.append(tuple(sessions))
        return tuple(fields)

    Successors = list[tuple[str, "tuple[State, list[str]] | None"]]

    def _full(self, state: State) -> Successors:
        return [(step.label, self._step(state, step)) for step in self.steps(state)]

    def _reduced(self, state: State) -> Successors | None:
        """The steps of one session in a local phase, or None to expand in full."""
        for i in range(len(self.keys)):
            if not self._local_phase(state, i):
                continue
            successors = [(s.label, self._step(state, s)) for s in self.session_steps(state, i)]
            for _, result in successors:
                if result is None or result[0] == state:
                    continue
                nxt = result[0]
                if not self._same_shared(state, nxt) or not self._progressed(state, nxt, i):
                    return None
            return successors
        return None

    def _local_phase(self, state: State, i: int) -> bool:
        scope = state.scope
        key = self.keys[i]
        record = _record(state, i)
        st, flags = record.state, record.flags
        lane = state.lanes[i]
        if lane and type(lane[0]) in SHARED_EFFECTS:
            return False
        is_holder = scope.holder == key and not scope.foreign
        if is_holder:  # only its lane can move: a close whose local part is still running
            return st is SessionState.DRAINING and Flag.CLOSING in flags and bool(lane)
        return scope.waiter != key and st in self._awaiting_report

    def _progressed(self, a: State, b: State, i: int) -> bool:
        """Local steps only move a session forward, so they never form a cycle that could
        postpone the other sessions forever (the ignoring problem): no cycle proviso needed."""
        before, after = _record(a, i), _record(b, i)
        rank = _PHASE_RANK
        was = (rank[before.state], before.flags, -len(a.lanes[i]))
        return (rank[after.state], after.flags, -len(b.lanes[i])) > was

    @staticmethod
    def _same_shared(a: State, b: State) -> bool:
        """Whether what the sessions share is as it was: the scope's own fields, and the
        resources one session holds for all (the designation, the host handler)."""
        same_scope = _shared_fields(a.scope) == _shared_fields(b.scope)
        return same_scope and _held_by_one(a.world) == _held_by_one(b.world)

    def _check_liveness(
        self,
        seen: dict[object, tuple[State, object, str]],
        canon: Callable[[State], object],
        report: Report,
    ) -> None:
        """Close everything from every state; memoised, so each state is driven through once."""
        ends: set[object] = set()
        limit = 64 * len(self.keys) + 64
        for key, (state, _, _) in seen.items():
            path: list[object] = []
            current, ckey = state, key
            for _ in range(limit):
                if ckey in ends:
                    break
                path.append(ckey)
                if self.is_end(current):
                    break
                step = self.closing_step(current)
                result = self._step(current, step) if step is not None else None
                if result is not None:
                    current, broken = result
                    ckey = canon(current)
                    if broken or ckey not in seen:
                        broken = broken + self.broken_invariants(current)
                if result is None or broken:
                    why = "stuck" if result is None else "; ".join(broken)
                    report.violation = f"closing every session does not end ({why})"
                    report.trace = [*self._trace(seen, key), "... then closing every session"]
                    return
            else:
                report.violation = "closing every session does not end (livelock)"
                report.trace = self._trace(seen, key)
                return
            ends.update(path)

    def is_end(self, state: State) -> bool:
        """Every session at rest with nothing left to run, the scope vacant, and the resources
        as a fresh `World` has them (a session at rest keeps no history: see `_forget_history`)."""
        return (
            state.scope.ownership is OwnershipState.VACANT
            and not any(state.lanes)
            and all(rec.state in AT_REST for _, rec in state.scope.sessions)
            and state.world == self._fresh_world
        )

    def closing_step(self, state: State) -> Step | None:
        """What the runtime does next when the caller closes every session."""
        records = dict(state.scope.sessions)
        for i, lane in enumerate(state.lanes):  # run effects first, as the runtime would
            if lane:
                return Step("run", run=i)
        for key in self.keys:
            st, flags = records[key].state, records[key].flags
            if Flag.CLOSING in flags or Flag.RETRACTING in flags:
                return Step("closed", Closed(key))
            if st is SessionState.STARTING and Flag.WAITING not in flags:
                return Step("started", Started(key))
        for key in self.keys:
            st, flags = records[key].state, records[key].flags
            running = st not in AT_REST and st is not SessionState.STARTING
            if running and Flag.CLOSING not in flags:
                return Step("close", Close(key))
        # a waiter is granted only when the holder closes, so waiting starts are closed last
        for key in self.keys:
            st, flags = records[key].state, records[key].flags
            if st is SessionState.STARTING:
                return Step("close", Close(key))
        return None

    @staticmethod
    def _trace(seen: dict[object, tuple[State, object, str]], key: object) -> list[str]:
        labels: list[str] = []
        _, parent, label = seen[key]
        while parent is not None:
            labels.append(label)
            _, parent, label = seen[parent]
        return labels[::-1]


def _caller_steps(key: str) -> Iterator[Step]:
    for event in CALLER_EVENTS:
        if event is Start:
            for start in start_variants(key):
                yield Step(_label(start), start)
        else:
            yield Step(f"{event_name(event)}({key})", event(key))


def _plain_auto(event: SessionEvent) -> bool:
    """A start the table must always accept: `auto`, asking for nothing only a primary gets."""
    return (
        type(event) is Start
        and event.role is Role.AUTO
        and event.record is not True
        and event.host is not True
        and not event.exporter
    )


def _identity(state: State) -> object:
    return state


def _record(state: State, i: int) -> SessionSnapshot:
    """The record of the i-th session: the scope lists them in the order of `Explorer.keys`,
    having known them all from the start."""
    return state.scope.sessions[i][1]


#: The scope's fields other than its sessions' records.
_shared_fields = operator.attrgetter(*(f for f in ScopeSnapshot._fields if f != "sessions"))


@functools.cache
def _unnamed(value: tuple[object, ...]) -> tuple[object, ...]:
    """A session's record or lane without the session's key (every effect in them is for that
    session): each effect becomes its class and its other fields."""
    return tuple(_without_key(v) for v in value)


def _without_key(value: object) -> object:
    if type(value) is tuple:
        return _unnamed(value)
    if attrs.has(type(value)):
        fields = attrs.asdict(value, recurse=False)  # type: ignore[arg-type]
        return (type(value), *(v for name, v in fields.items() if name != "session"))
    return value


#: The resources one session holds for all, as opposed to the sets of sessions that each hold
#: their own: the fields a fresh `World` leaves None.
_held_by_one = operator.attrgetter(
    *(name for name, value in World().snapshot()._asdict().items() if value is None)
)

_history = operator.attrgetter(*HISTORY)

#: Stands for a field that names sessions, in a canonical state (the sessions carry the mark).
_NAMES_SESSIONS = object()


#: How far along its life a state is: the states' declaration order.
_PHASE_RANK = {state: rank for rank, state in enumerate(SessionState)}


def _label(start: Start) -> str:
    opts = [f"role={start.role.value}"]
    if start.record is not None:
        opts.append(f"record={start.record}")
    if start.exporter:
        opts.append("exporter")
    return f"start({start.session}, {', '.join(opts)})"


def explore(sessions: int, *, table: Table = TABLE, max_states: int | None = None) -> Report:
    """Explore every interleaving for `sessions` sessions; see the module docstring."""
    return Explorer(sessions, table=table).run(max_states=max_states)
