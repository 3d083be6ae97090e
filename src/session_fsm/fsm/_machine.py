"""The small class that applies the table: one `Scope` per job (or per Room without a job).

`Scope.handle(event) -> effects` is the whole contract; `Scope.step(event) -> Outcome` is the same
step with its effects sorted for the runtime (this event's session's, the granted waiter's, and
which states moved), so the runtime never has to work that out from a flat tuple. A step looks
up the rows for the session's state and the event's class, takes the first whose guard holds,
and either raises that row's refusal (state unchanged) or applies it. Three special cases do not
fit a row; they are named here and nowhere else:

1. **grant** — a move that leaves the scope vacant while a start waits claims it for the waiter at
   once, in the same step, and returns the waiter's start plan after the row's effects.
   That is why a waiting start is granted in the same event-loop pass as the release.
2. **close pending** — a close that arrived while a session was starting fires by itself as soon as
   the session lands in `primary` or `secondary`.
3. **remember the start** — a transition into `starting` from outside keeps its plan on the
   session, so a later `start_failed(completed=k)` can undo exactly the first k effects.
"""

from __future__ import annotations

from typing import NamedTuple

import attrs

from . import _effects as fx
from ._events import (
    SCOPE_EVENTS,
    SESSION_EVENTS,
    Close,
    Event,
    ForeignHold,
    ForeignRelease,
    SessionEvent,
    SessionKey,
    Start,
    StartFailed,
    event_name,
)
from ._states import AT_REST, RUNNING, OwnershipState, Role, SessionState
from ._table import (
    CLOSE_PENDING_FIRES_IN,
    GRANT_MOVE,
    GRANT_PLANS,
    MOVES,
    SCOPE_EVENT_MOVES,
    TABLE,
    Flag,
    Move,
    Row,
    Table,
    flag_names,
)
from .errors import InvalidInput, InvalidTransition

# Enum members as module names: a class attribute lookup (`Role.PRIMARY`) costs ~70 ns on
# Python 3.11, about a tenth of a whole step.
_CREATED = SessionState.CREATED
_CLOSED = SessionState.CLOSED
_STARTING = SessionState.STARTING
_VACANT = OwnershipState.VACANT
_CLAIMED = OwnershipState.CLAIMED
_PRIMARY = Role.PRIMARY
_FOREIGN_HOLD = Move.FOREIGN_HOLD


class SessionSnapshot(NamedTuple):
    """A session's record as a hashable value."""

    state: SessionState
    role: Role | None
    record: bool
    host: bool
    exporter: bool
    flags: Flag
    plan: tuple[fx.Effect, ...]


class ScopeSnapshot(NamedTuple):
    """The whole scope as a hashable value: what the explorer stores per visited state."""

    ownership: OwnershipState
    holder: str | None
    foreign: bool
    waiter: str | None
    sessions: tuple[tuple[SessionKey, SessionSnapshot], ...]


@attrs.frozen(slots=True)
class Outcome:
    """One event's step, sorted for the runtime (`Scope.step`)."""

    #: The effects for the event's own session, in order (its lane runs them).
    effects: tuple[fx.Effect, ...]
    #: The session that was waiting for the scope before this step and no longer waits (it was
    #: granted the scope, or its wait ended: closed, or a promotion back to secondary); else None.
    wait_over: SessionKey | None = None
    #: The start plan the scope was granted with, for `wait_over` (empty: its wait ended without).
    grant: tuple[fx.Effect, ...] = ()
    #: Each session whose state this step moved: (key, state before or None if new, state after).
    moved: tuple[tuple[SessionKey, SessionState | None, SessionState], ...] = ()


@attrs.define(slots=True, eq=False)
class SessionRecord:
    """What the scope knows of one session. Identity equality: two records are never 'equal'."""

    key: SessionKey
    state: SessionState = SessionState.CREATED
    role: Role | None = None
    record: bool = False
    host: bool = False
    exporter: bool = False
    #: What the state does not spell out (waiting, closing...).
    flags: Flag = Flag.NONE
    #: The effects of the start under way, for compensation.
    plan: tuple[fx.Effect, ...] = ()

    def snapshot(self) -> SessionSnapshot:
        """A hashable value of the record (what `Scope.snapshot` is made of)."""
        return SessionSnapshot(
            self.state, self.role, self.record, self.host, self.exporter, self.flags, self.plan
        )


class Scope:
    """The coupled session and ownership machines of one ownership scope: the pure core. It
    never awaits, so it has no timeouts; every refusal leaves it unchanged.

    Args:
        record_default: what `record=None` means for a primary (the job's `enable_recording`).
        table: the table it applies; only tests of the table itself pass another one.

    Raises:
        SessionLifecycleError: `invalid_input` when `record_default` is not a bool or `table`
            not a `Table`.
    """

    __slots__ = (
        "_granted",
        "_rows",
        "_sessions",
        "foreign",
        "holder",
        "last_holder",
        "ownership",
        "record_default",
        "table",
        "waiter",
    )

    def __init__(self, *, record_default: bool = False, table: Table = TABLE) -> None:
        if type(record_default) is not bool:
            raise InvalidInput(f"record_default must be True or False, got {record_default!r}")
        if not isinstance(table, Table):
            raise InvalidInput(f"table must be a session_fsm.fsm.Table, got {table!r}")
        #: What `record=None` means for a primary (the job's `enable_recording`).
        self.record_default = record_default
        self.table = table
        self._rows = table.by_state
        self.ownership = _VACANT
        #: The key of the session that claimed or holds the scope (or the foreign holder's name).
        self.holder: str | None = None
        #: True while the holder is a session this scope does not manage.
        self.foreign = False
        #: The start waiting for the releasing holder to let go; it has reserved the scope.
        self.waiter: SessionKey | None = None
        #: The last session of this scope that claimed it (None once it is forgotten): the one
        #: livekit's end-of-job report is shown (`report_holder`). History, not state: it decides
        #: no transition, so snapshots (and the explorer's states) leave it out.
        self.last_holder: SessionKey | None = None
        self._sessions: dict[SessionKey, SessionRecord] = {}
        #: The plan `_grant` made during the current `step` (None: no grant).
        self._granted: tuple[fx.Effect, ...] | None = None

    # ------------------------------------------------------------------ queries

    def is_holder(self, key: SessionKey) -> bool:
        """Whether the session named `key` claimed or holds the scope's primary designation."""
        return self.holder == key and not self.foreign

    def resolve_record(self, record: bool | None) -> bool:
        """What a primary's `record` comes to: `record_default` when it is None."""
        return self.record_default if record is None else record

    def at_rest(self, key: SessionKey) -> bool:
        """Whether the session holds nothing (created, closed, or unknown): it may start afresh
        (a running livekit session must not), and shutdown has nothing to close."""
        s = self._sessions.get(key)
        return s is None or s.state in AT_REST

    def is_running(self, key: SessionKey) -> bool:
        """Whether livekit runs the session and no close of it is under way: when livekit closes
        it by itself (an error, its own shutdown), that close must be fed as `close`."""
        s = self._sessions.get(key)
        return s is not None and s.state in RUNNING and Flag.CLOSING not in s.flags

    def awaits_closed(self, key: SessionKey) -> bool:
        """Whether the session's close (or a failed start's undoing) was asked for and only
        `closed` is awaited: the runtime reports it once those effects ran."""
        s = self._sessions.get(key)
        return s is not None and bool(s.flags & (Flag.CLOSING | Flag.RETRACTING))

    def report_holder(self) -> SessionKey | None:
        """The session livekit's end-of-job report should see as the job's primary once every
        session is closed: the last one of ours that held the scope, unless a foreign session
        holds it now or ours was forgotten."""
        return None if self.foreign else self.last_holder

    def state(self, key: SessionKey) -> SessionState:
        """The state of the session named `key`.

        Raises:
            SessionLifecycleError: `invalid_transition` when the scope does not know it.
        """
        s = self._sessions.get(key)
        if s is None:
            raise InvalidTransition(
                f"session {key!r} is not known to this scope; start it first.", session=key
            )
        return s.state

    def session(self, key: SessionKey) -> SessionRecord:
        """The live record of the session named `key` (read it, do not change it).

        Raises:
            SessionLifecycleError: `invalid_transition` when the scope does not know it.
        """
        self.state(key)
        return self._sessions[key]

    def sessions(self) -> dict[SessionKey, SessionRecord]:
        """Every session the scope knows, by key: the live records (read them, do not change
        them)."""
        return self._sessions

    def __contains__(self, key: object) -> bool:
        return key in self._sessions

    def __len__(self) -> int:
        return len(self._sessions)

    # ------------------------------------------------------------------ membership

    def add(self, key: SessionKey) -> None:
        """Make a session known (a `start` does this by itself).

        Raises:
            SessionLifecycleError: `invalid_input` when `key` is not a str.
        """
        if not isinstance(key, str):
            raise InvalidInput(f"session keys are str, got {type(key).__name__}")
        if key not in self._sessions:
            self._sessions[key] = SessionRecord(key)

    def forget(self, key: SessionKey) -> None:
        """Drop a session that holds nothing (created or closed), e.g. a participant who left;
        a key the scope does not know is ignored.

        Raises:
            SessionLifecycleError: `invalid_transition` when the session is still running.
        """
        s = self._sessions.get(key)
        if s is None:
            return
        if s.state is not _CLOSED and s.state is not _CREATED:
            raise InvalidTransition(
                f"session {key!r} is {s.state.value}; close it before forgetting it.", session=key
            )
        del self._sessions[key]
        if self.last_holder == key:
            self.last_holder = None

    # ------------------------------------------------------------------ the step

    def step(self, event: Event) -> Outcome:
        """`handle(event)`, sorted for the runtime: the effects of the event's own session, the
        plan a waiting start was granted (special case 1), and which states moved."""
        key: SessionKey | None = getattr(event, "session", None)
        s = self._sessions.get(key) if key is not None else None
        before = s.state if s is not None else None
        waiter = self.waiter
        self._granted = None
        effects = self.handle(event)
        granted, self._granted = self._granted, None
        moved: tuple[tuple[SessionKey, SessionState | None, SessionState], ...] = ()
        if key is not None and (after := self._sessions[key].state) is not before:
            moved = ((key, before, after),)
        if waiter is None or self.waiter == waiter:
            return Outcome(effects, moved=moved)
        grant: tuple[fx.Effect, ...] = ()
        if granted is not None:
            grant = granted
            effects = tuple(e for e in effects if e.session != waiter)
        return Outcome(effects, waiter, grant, moved)

    def handle(self, event: Event) -> tuple[fx.Effect, ...]:
        """Apply one event; return the effects to run, in order. A refusal leaves the scope
        unchanged.

        Raises:
            SessionLifecycleError: `primary_conflict`, `recording_requires_primary`,
                `host_requires_primary`, `exporter_requires_primary`,
                `exporter_requires_recording` when a `Start` (or `Promote`) is refused;
                `invalid_transition` when the session's state (or the scope's) does not accept
                the event; `invalid_input` when `event` is not a core event.
        """
        kind = type(event)
        if kind not in _SESSION_EVENT_TYPES:
            if kind in _SCOPE_EVENT_TYPES:
                return self._handle_scope_event(event)  # type: ignore[arg-type]
            raise InvalidInput(f"Scope.handle takes a core event (Start, Close...), got {event!r}")
        ev: SessionEvent = event  # type: ignore[assignment]  # narrowed by the kind check
        s = self._sessions.get(ev.session)
        new = s is None
        if s is None:
            if kind is not Start:
                raise InvalidTransition(
                    f"{event_name(kind)} for session {ev.session!r}, which this scope does not "
                    "know; start it first.",
                    session=ev.session,
                )
            s = SessionRecord(ev.session)
        row = self._select(s, ev)
        if row.refuse is not None:  # refused: state unchanged (a new name is not even kept)
            raise row.refuse(self, s, ev)
        if new:
            self._sessions[s.key] = s
        # apply
        if row.role is not None:
            self._resolve(s, row.role, ev)
        plan = row.plan(self, s, ev) if row.plan is not None else ()
        target = row.target
        if target is _STARTING:  # special case 3: remember the start (a wait has none)
            if row.source is not _STARTING:
                s.plan = () if Flag.WAITING in row.sets else plan
        elif row.source is _STARTING:
            s.plan = ()
        if row.sets or row.clears:
            self._set_flags(s, (s.flags | row.sets) & ~row.clears)
        assert target is not None
        s.state = target
        if target is _CLOSED:
            s.role, s.flags, s.plan = None, Flag.NONE, ()
            s.record = s.host = s.exporter = False
        if row.move is not None:
            plan += self._move(row.move, s.key)
        if target in CLOSE_PENDING_FIRES_IN and Flag.CLOSE_PENDING in s.flags:
            s.flags &= ~Flag.CLOSE_PENDING  # special case 2: the pending close fires now
            plan += self.handle(Close(s.key))
        return plan

    def _select(self, s: SessionRecord, event: SessionEvent) -> Row:
        """The first row of the session's state and the event whose guard holds."""
        rows = self._rows[s.state].get(type(event))
        if rows is not None:
            if type(event) is StartFailed and not 0 <= event.completed <= len(s.plan):
                raise InvalidTransition(
                    f"start_failed for session {s.key!r} says {event.completed} effects "
                    f"completed, but its start has {len(s.plan)}.",
                    session=s.key,
                )
            for row in rows:
                if row.guard(self, s, event):
                    return row
        raise InvalidTransition(
            f"session {s.key!r} is {self._describe(s)}; it does not accept "
            f"{event_name(type(event))}. {_HINTS.get(s.state, '')}".rstrip(),
            session=s.key,
        )

    def _resolve(self, s: SessionRecord, role: Role, event: SessionEvent) -> None:
        if type(event) is Start:
            primary = role is _PRIMARY
            record = primary and self.resolve_record(event.record)
            host = primary and event.host is not False
            exporter = primary and event.exporter
        else:  # a promotion hosts but cannot record; a failed one goes back to secondary
            host, record, exporter = role is _PRIMARY, False, False
        s.role, s.record, s.host, s.exporter = role, record, host, exporter

    def _set_flags(self, s: SessionRecord, flags: Flag) -> None:
        """The waiter follows the WAITING bit."""
        waiting = Flag.WAITING in flags
        if waiting is not (Flag.WAITING in s.flags):
            self.waiter = s.key if waiting else None
        s.flags = flags

    def _move(self, move: Move, key: str, foreign: bool = False) -> tuple[fx.Effect, ...]:
        source, target = MOVES[move]
        if self.ownership is not source:
            raise AssertionError(f"table bug: {move.value} from {self.ownership.value}")
        self.ownership = target
        if target is _CLAIMED or move is _FOREIGN_HOLD:
            self.holder, self.foreign = key, foreign
            if not foreign:
                self.last_holder = key
        elif target is _VACANT:
            self.holder, self.foreign = None, False
            if self.waiter is not None:
                return self._grant(self.waiter)
        return ()

    def _grant(self, key: SessionKey) -> tuple[fx.Effect, ...]:
        """Special case 1: the vacant scope goes to the waiting start."""
        w = self._sessions[key]
        promotion = Flag.PROMOTING in w.flags
        self._set_flags(w, w.flags & ~Flag.WAITING)
        self._move(GRANT_MOVE, key)
        w.plan = self._granted = GRANT_PLANS[promotion](self, w, Start(key))
        return w.plan

    def see_designation(self, holder: str | None, *, running: bool) -> bool:
        """What the runtime saw holding the job's primary designation: `holder` names a session
        this scope does not manage (None: nobody, or one of ours), `running` whether it still
        runs. A running foreign holder is recorded while the scope is vacant (`foreign_hold`); a
        foreign holder that is gone is forgotten (`foreign_release`). Returns True when the
        designation must be cleared: its holder closed, and livekit never releases a closed
        primary's designation by itself."""
        stale = holder is not None and not running
        if holder is not None and running:
            if self.ownership is _VACANT:
                self._handle_scope_event(ForeignHold(holder))
            return False
        if self.foreign:  # nothing waits while a foreign session holds it: no grant follows
            self._handle_scope_event(ForeignRelease())
        return stale

    def _handle_scope_event(self, event: ForeignHold | ForeignRelease) -> tuple[fx.Effect, ...]:
        move = SCOPE_EVENT_MOVES[event_name(type(event))]
        if isinstance(event, ForeignHold):
            if self.ownership is MOVES[move][0]:
                return self._move(move, event.holder, foreign=True)
            if self.foreign and self.holder == event.holder:
                return ()
        elif self.foreign:
            return self._move(move, "")
        raise InvalidTransition(
            f"{event_name(type(event))} while the scope is {self.ownership.value} "
            f"(holder {self.holder!r}); the scope only records a foreign holder while vacant."
        )

    def _describe(self, s: SessionRecord) -> str:
        extra = flag_names(s.flags)
        return s.state.value + (f" ({', '.join(extra)})" if extra else "")

    # ------------------------------------------------------------------ exploration support

    def snapshot(self) -> ScopeSnapshot:
        """A hashable value of the whole state: what the explorer stores per visited state."""
        return ScopeSnapshot(
            self.ownership,
            self.holder,
            self.foreign,
            self.waiter,
            tuple((k, s.snapshot()) for k, s in self._sessions.items()),
        )

    def restore(self, snap: ScopeSnapshot) -> None:
        """Put the scope back in the state `snapshot()` returned (the explorer's backtracking)."""
        self.ownership, self.holder, self.foreign = snap.ownership, snap.holder, snap.foreign
        self.waiter = snap.waiter
        self._sessions = {key: SessionRecord(key, *r) for key, r in snap.sessions}


_SESSION_EVENT_TYPES = frozenset(SESSION_EVENTS)
_SCOPE_EVENT_TYPES = frozenset(SCOPE_EVENTS)

_HINTS = {
    SessionState.CREATED: "Start it first.",
    SessionState.STARTING: "Wait for its start to finish.",
    SessionState.CLOSED: "Start it again to reuse it.",
}
