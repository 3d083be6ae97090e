"""THE table: every transition of the session machine, as data.

Read `session_fsm.fsm` first for the rules and the theory of operation. This module holds:

- `ROWS`: one row per (source state, event, guard). Rows for the same (state, event) are tried in
  order and the first whose guard holds is taken. A row either refuses (raises an error naming the
  holder) or moves the session to `target`, optionally resolving its role, moving the scope's
  ownership (`move`), setting or clearing flags, and asking for effects (`plan`).
- `MOVES`: the ownership machine's transitions, which session rows (and the two scope events)
  trigger.
- The guards, plans and refusals: small named functions, so the diagrams and the generated test
  suites can print them.

Everything that decides lives here or in `_machine.py`'s three named special cases; the runtime
and the adapters only execute.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs

from . import _effects as fx
from ._events import Close, Closed, Drain, Promote, SessionEvent, Start, Started, StartFailed
from ._states import AT_REST, OwnershipState, Role, SessionState
from .errors import (
    ExporterRequiresPrimary,
    ExporterRequiresRecording,
    HostRequiresPrimary,
    PrimaryConflict,
    RecordingRequiresPrimary,
    SessionLifecycleError,
)

if TYPE_CHECKING:
    from ._machine import Scope, SessionRecord

CREATED, STARTING, PRIMARY, SECONDARY, DRAINING, CLOSED = SessionState
VACANT, CLAIMED, HELD, RELEASING = OwnershipState
# Enum members as module names, for the guards and plans: `Role.PRIMARY` is a class attribute
# lookup that costs ~70 ns on Python 3.11 (as much as the rest of a guard), a module name a few.
ROLE_AUTO, ROLE_PRIMARY, ROLE_SECONDARY = Role


class Flag(enum.IntFlag):
    """Bits of a session's state that the six states do not spell out."""

    NONE = 0
    #: Starting, but waiting for the releasing primary to let go (one waiter per scope).
    WAITING = 1
    #: The start under way is a promotion of a running secondary.
    PROMOTING = 2
    #: A close arrived while starting; it fires as soon as the start lands.
    CLOSE_PENDING = 4
    #: The close effects have been issued; only `closed` is awaited.
    CLOSING = 8
    #: A start failed; its compensation is running and only `closed` is awaited.
    RETRACTING = 16


def flag_names(flags: Flag) -> list[str]:
    """The names of the bits set in `flags`, for messages and docs."""
    return [(f.name or "").lower() for f in Flag if f and f in flags]


class Move(enum.Enum):
    """A transition of the ownership machine."""

    CLAIM = "claim"
    HOLD = "hold"
    RELEASE = "release"
    VACATE = "vacate"
    RETRACT = "retract"
    FOREIGN_HOLD = "foreign_hold"
    FOREIGN_RELEASE = "foreign_release"


#: The ownership machine: move -> (source, target). A move into `vacant` grants the scope to the
#: first waiting session, if any (the `grant` special case in `_machine.py`).
MOVES: dict[Move, tuple[OwnershipState, OwnershipState]] = {
    Move.CLAIM: (VACANT, CLAIMED),
    Move.HOLD: (CLAIMED, HELD),
    Move.RELEASE: (HELD, RELEASING),
    Move.VACATE: (RELEASING, VACANT),
    Move.RETRACT: (CLAIMED, RELEASING),
    Move.FOREIGN_HOLD: (VACANT, HELD),
    Move.FOREIGN_RELEASE: (HELD, VACANT),
}

Guard = Callable[["Scope", "SessionRecord", SessionEvent], bool]
Plan = Callable[["Scope", "SessionRecord", SessionEvent], tuple[fx.Effect, ...]]
Refusal = Callable[["Scope", "SessionRecord", SessionEvent], SessionLifecycleError]


@attrs.frozen(slots=True)
class Row:
    """One transition of the session machine."""

    source: SessionState
    event: type[SessionEvent]
    guard: Guard
    #: Where the session goes; None for a refusal.
    target: SessionState | None = None
    refuse: Refusal | None = None
    #: The role the session has after this row (None: unchanged; always cleared into `closed`).
    role: Role | None = None
    move: Move | None = None
    plan: Plan | None = None
    sets: Flag = Flag.NONE
    clears: Flag = Flag.NONE

    @property
    def is_noop(self) -> bool:
        """Accepted, changes nothing, asks for nothing (start on a running session...)."""
        return (
            self.target is self.source
            and self.plan is None
            and self.move is None
            and not self.sets
            and not self.clears
            and self.role is None
        )


# --------------------------------------------------------------------------- guards
# A guard sees the scope, the session's record and the event; it never mutates.


def always(scope: Scope, s: SessionRecord, e: SessionEvent) -> bool:
    return True


def _scope_taken(scope: Scope) -> bool:
    """Claimed or held, or releasing with a start already waiting to take over: a waiting start
    has reserved the scope, so at most one start ever waits."""
    own = scope.ownership
    return own is CLAIMED or own is HELD or (own is RELEASING and scope.waiter is not None)


def secondary_with_primary_features(scope: Scope, s: SessionRecord, e: SessionEvent) -> bool:
    if type(e) is not Start:
        return False
    secondary = e.role is ROLE_SECONDARY or (e.role is ROLE_AUTO and _scope_taken(scope))
    return secondary and (e.record is True or e.host is True or e.exporter)


def primary_taken(scope: Scope, s: SessionRecord, e: SessionEvent) -> bool:
    if type(e) is not Start:
        return False
    return e.role is ROLE_PRIMARY and _scope_taken(scope)


def exporter_without_recording(scope: Scope, s: SessionRecord, e: SessionEvent) -> bool:
    if type(e) is not Start:
        return False
    return e.exporter and not scope.resolve_record(e.record)


def wants_primary_and_vacant(scope: Scope, s: SessionRecord, e: SessionEvent) -> bool:
    return scope.ownership is VACANT and (type(e) is not Start or e.role is not ROLE_SECONDARY)


def wants_primary_and_releasing(scope: Scope, s: SessionRecord, e: SessionEvent) -> bool:
    if scope.ownership is not RELEASING or scope.waiter is not None:
        return False
    return type(e) is not Start or e.role is not ROLE_SECONDARY


def scope_taken(scope: Scope, s: SessionRecord, e: SessionEvent) -> bool:
    return _scope_taken(scope)


def waiting(scope: Scope, s: SessionRecord, e: SessionEvent) -> bool:
    return Flag.WAITING in s.flags


def waiting_promotion(scope: Scope, s: SessionRecord, e: SessionEvent) -> bool:
    return Flag.WAITING in s.flags and Flag.PROMOTING in s.flags


def claimed_start(scope: Scope, s: SessionRecord, e: SessionEvent) -> bool:
    return s.role is ROLE_PRIMARY and Flag.WAITING not in s.flags and Flag.RETRACTING not in s.flags


def secondary_start(scope: Scope, s: SessionRecord, e: SessionEvent) -> bool:
    return (
        s.role is ROLE_SECONDARY and Flag.WAITING not in s.flags and Flag.RETRACTING not in s.flags
    )


def retracting_promotion(scope: Scope, s: SessionRecord, e: SessionEvent) -> bool:
    return Flag.RETRACTING in s.flags and Flag.PROMOTING in s.flags


def retracting_claim(scope: Scope, s: SessionRecord, e: SessionEvent) -> bool:
    return Flag.RETRACTING in s.flags and scope.is_holder(s.key)


def retracting(scope: Scope, s: SessionRecord, e: SessionEvent) -> bool:
    return Flag.RETRACTING in s.flags


def closing(scope: Scope, s: SessionRecord, e: SessionEvent) -> bool:
    return Flag.CLOSING in s.flags


def holder(scope: Scope, s: SessionRecord, e: SessionEvent) -> bool:
    return scope.is_holder(s.key)


def closing_holder(scope: Scope, s: SessionRecord, e: SessionEvent) -> bool:
    return Flag.CLOSING in s.flags and scope.is_holder(s.key)


def closing_holder_exporting(scope: Scope, s: SessionRecord, e: SessionEvent) -> bool:
    """The holder's close released everything shared; its recording still has to be exported."""
    return Flag.CLOSING in s.flags and s.record and s.exporter and scope.is_holder(s.key)


def scope_vacant(scope: Scope, s: SessionRecord, e: SessionEvent) -> bool:
    return scope.ownership is VACANT


def scope_releasing(scope: Scope, s: SessionRecord, e: SessionEvent) -> bool:
    return scope.ownership is RELEASING and scope.waiter is None


# --------------------------------------------------------------------------- plans
# A plan lists a transition's effects in the order the runtime must run them.


def plan_primary_start(scope: Scope, s: SessionRecord, e: SessionEvent) -> tuple[fx.Effect, ...]:
    """Claim first (so no other start can), run livekit's start inside the session's own trace
    context, then take charge of the span, recording and host handler it made."""
    k = s.key
    plan: list[fx.Effect] = [
        fx.ClaimPrimary(k),
        fx.AttachContext(k),
        fx.StartSession(k, ROLE_PRIMARY, s.record, s.host, designation=True),
        fx.OpenSpan(k, ROLE_PRIMARY),
    ]
    if s.record:
        plan.append(fx.StartRecording(k))
    if s.host:
        plan.append(fx.RegisterHost(k))
    return tuple(plan)


def plan_secondary_start(scope: Scope, s: SessionRecord, e: SessionEvent) -> tuple[fx.Effect, ...]:
    k = s.key
    return (
        fx.AttachContext(k),
        fx.StartSession(k, ROLE_SECONDARY, False, False, designation=False),
        fx.OpenSpan(k, ROLE_SECONDARY),
    )


def plan_promotion(scope: Scope, s: SessionRecord, e: SessionEvent) -> tuple[fx.Effect, ...]:
    """A running session cannot grow a recorder, so a promoted primary hosts but does not record."""
    k = s.key
    return (fx.ClaimPrimary(k), fx.RegisterHost(k), fx.AnnotateSpan(k, "role"))


def plan_wait(scope: Scope, s: SessionRecord, e: SessionEvent) -> tuple[fx.Effect, ...]:
    return (fx.WaitForClaim(s.key),)


def plan_drain(scope: Scope, s: SessionRecord, e: SessionEvent) -> tuple[fx.Effect, ...]:
    return (fx.DrainSession(s.key),)


def plan_primary_close(scope: Scope, s: SessionRecord, e: SessionEvent) -> tuple[fx.Effect, ...]:
    """The host handler goes with the session (livekit's `aclose()` closes both); the recording
    is finalised; then the designation goes, so a handoff waits for the file, never for an
    upload. A recording with exporters keeps its span open: the export comes after the release
    (`plan_export`); without exporters the span ends here, before the release."""
    k = s.key
    plan: list[fx.Effect] = [fx.CloseSession(k)]
    if s.host:
        plan.append(fx.UnregisterHost(k))
    if s.record:
        plan.append(fx.StopRecording(k))
    if not (s.record and s.exporter):
        plan.append(fx.EndSpan(k))
    plan += (fx.DetachContext(k), fx.ReleasePrimary(k))
    return tuple(plan)


def plan_export(scope: Scope, s: SessionRecord, e: SessionEvent) -> tuple[fx.Effect, ...]:
    """After the release: export the finalised recording, put its references on the span, and
    only then end the span (no span ends before what belongs on it is known)."""
    k = s.key
    return (fx.ExportRecording(k), fx.AnnotateSpan(k, "recording"), fx.EndSpan(k))


def plan_secondary_close(scope: Scope, s: SessionRecord, e: SessionEvent) -> tuple[fx.Effect, ...]:
    k = s.key
    return (fx.CloseSession(k), fx.EndSpan(k), fx.DetachContext(k))


def plan_compensation(scope: Scope, s: SessionRecord, e: SessionEvent) -> tuple[fx.Effect, ...]:
    """Undo the effects of the failed start that had completed, newest first."""
    assert isinstance(e, StartFailed)
    return fx.compensate(s.plan[: e.completed])


# --------------------------------------------------------------------------- refusals


def _holder_text(scope: Scope) -> str:
    who = scope.holder or "?"
    kind = "a session this coordinator does not manage" if scope.foreign else "session"
    text = f"{kind} {who!r} ({scope.ownership.value})"
    if scope.waiter is not None:
        text += f", with session {scope.waiter!r} waiting to take over"
    return text


def refuse_secondary_features(
    scope: Scope, s: SessionRecord, e: SessionEvent
) -> SessionLifecycleError:
    assert isinstance(e, Start)
    why = (
        "role='secondary' was asked"
        if e.role is Role.SECONDARY
        else f"the scope is held by {_holder_text(scope)}"
    )
    if e.record is True:
        return RecordingRequiresPrimary(
            f"session {s.key!r} asked for record=True but resolves to secondary ({why}); "
            "only the primary records. Pass record=None/False, or close the holder first.",
            session=s.key,
        )
    if e.host is True:
        return HostRequiresPrimary(
            f"session {s.key!r} asked for host=True but resolves to secondary ({why}); "
            "only the primary hosts lk.agent.session. Pass host=None/False, or close the holder.",
            session=s.key,
        )
    return ExporterRequiresPrimary(
        f"session {s.key!r} was given recording exporters but resolves to secondary ({why}); "
        "only the primary records. Drop the exporters, or close the holder first.",
        session=s.key,
    )


def refuse_primary_conflict(
    scope: Scope, s: SessionRecord, e: SessionEvent
) -> SessionLifecycleError:
    asked = "promote" if isinstance(e, Promote) else "start(role='primary')"
    return PrimaryConflict(
        f"session {s.key!r} asked for {asked} but the primary is held by {_holder_text(scope)}. "
        "Close or drain the holder first, or start with role='auto' to run as secondary.",
        session=s.key,
    )


def refuse_exporter_without_recording(
    scope: Scope, s: SessionRecord, e: SessionEvent
) -> SessionLifecycleError:
    return ExporterRequiresRecording(
        f"session {s.key!r} was given recording exporters but will not record (record=False, "
        "or record=None with the job's recording off). Pass record=True or drop the exporters.",
        session=s.key,
    )


# --------------------------------------------------------------------------- the table

_FRESH = tuple(s for s in SessionState if s in AT_REST)
_RUNNING = tuple(s for s in SessionState if s not in AT_REST)

ROWS: tuple[Row, ...] = (
    # start: a fresh or closed session; refusals first, then the role it resolves to
    *(
        row
        for src in _FRESH
        for row in (
            Row(src, Start, secondary_with_primary_features, refuse=refuse_secondary_features),
            Row(src, Start, primary_taken, refuse=refuse_primary_conflict),
            Row(src, Start, exporter_without_recording, refuse=refuse_exporter_without_recording),
            Row(src, Start, wants_primary_and_vacant, STARTING, role=Role.PRIMARY,
                move=Move.CLAIM, plan=plan_primary_start),
            Row(src, Start, wants_primary_and_releasing, STARTING, role=Role.PRIMARY,
                plan=plan_wait, sets=Flag.WAITING),
            Row(src, Start, always, STARTING, role=Role.SECONDARY, plan=plan_secondary_start),
        )
    ),
    # start on a running session: nothing to do
    *(Row(src, Start, always, src) for src in _RUNNING),
    # started: the start's effects all completed
    Row(STARTING, Started, claimed_start, PRIMARY, move=Move.HOLD, clears=Flag.PROMOTING),
    Row(STARTING, Started, secondary_start, SECONDARY),
    # start_failed: a wait just ends; otherwise undo what completed, holding any claim (as
    # releasing) until `closed` says the undoing ran. A failed promotion stays a secondary.
    Row(STARTING, StartFailed, waiting_promotion, SECONDARY, role=Role.SECONDARY,
        clears=Flag.WAITING | Flag.PROMOTING),
    Row(STARTING, StartFailed, waiting, CLOSED, clears=Flag.WAITING),
    Row(STARTING, StartFailed, claimed_start, STARTING, move=Move.RETRACT,
        plan=plan_compensation, sets=Flag.RETRACTING),
    Row(STARTING, StartFailed, secondary_start, STARTING, plan=plan_compensation,
        sets=Flag.RETRACTING),
    # drain
    Row(PRIMARY, Drain, always, DRAINING, plan=plan_drain),
    Row(SECONDARY, Drain, always, DRAINING, plan=plan_drain),
    Row(DRAINING, Drain, always, DRAINING),
    # close
    Row(PRIMARY, Close, always, DRAINING, move=Move.RELEASE, plan=plan_primary_close,
        sets=Flag.CLOSING),
    Row(SECONDARY, Close, always, DRAINING, plan=plan_secondary_close, sets=Flag.CLOSING),
    Row(DRAINING, Close, closing, DRAINING),
    Row(DRAINING, Close, holder, DRAINING, move=Move.RELEASE, plan=plan_primary_close,
        sets=Flag.CLOSING),
    Row(DRAINING, Close, always, DRAINING, plan=plan_secondary_close, sets=Flag.CLOSING),
    Row(STARTING, Close, waiting_promotion, SECONDARY, role=Role.SECONDARY,
        sets=Flag.CLOSE_PENDING, clears=Flag.WAITING | Flag.PROMOTING),
    Row(STARTING, Close, waiting, CLOSED, clears=Flag.WAITING),
    Row(STARTING, Close, always, STARTING, sets=Flag.CLOSE_PENDING),
    Row(CLOSED, Close, always, CLOSED),
    # closed: the close (or a failed start's undoing) effects all ran. A holder whose recording
    # goes to exporters reports it twice: once the shared part of its close ran (the scope is
    # vacated, a waiting start is granted), then once the export and its span are done.
    Row(DRAINING, Closed, closing_holder_exporting, DRAINING, move=Move.VACATE, plan=plan_export),
    Row(DRAINING, Closed, closing_holder, CLOSED, move=Move.VACATE),
    Row(DRAINING, Closed, closing, CLOSED),
    Row(STARTING, Closed, retracting_promotion, SECONDARY, role=Role.SECONDARY,
        move=Move.VACATE, clears=Flag.RETRACTING | Flag.PROMOTING),
    Row(STARTING, Closed, retracting_claim, CLOSED, move=Move.VACATE),
    Row(STARTING, Closed, retracting, CLOSED),
    # promote a running secondary
    Row(SECONDARY, Promote, scope_vacant, STARTING, role=Role.PRIMARY, move=Move.CLAIM,
        plan=plan_promotion, sets=Flag.PROMOTING),
    Row(SECONDARY, Promote, scope_releasing, STARTING, role=Role.PRIMARY, plan=plan_wait,
        sets=Flag.PROMOTING | Flag.WAITING),
    Row(SECONDARY, Promote, scope_taken, refuse=refuse_primary_conflict),
    Row(PRIMARY, Promote, always, PRIMARY),
)  # fmt: skip

#: Ownership moves that no session row makes: the two scope events, and the grant special case.
SCOPE_EVENT_MOVES: dict[str, Move] = {
    "foreign_hold": Move.FOREIGN_HOLD,
    "foreign_release": Move.FOREIGN_RELEASE,
}
GRANT_MOVE = Move.CLAIM

#: The plans the session machine runs when it grants the scope to the waiting start (the `grant`
#: special case): a queued promotion promotes, anything else starts as primary.
GRANT_PLANS: dict[bool, Plan] = {True: plan_promotion, False: plan_primary_start}

#: The event that fires by itself once a session with CLOSE_PENDING lands in one of these states.
CLOSE_PENDING_FIRES_IN = frozenset({PRIMARY, SECONDARY})


#: The rows of one state, by event class, in the order they are tried.
StateRows = dict[type[SessionEvent], tuple[Row, ...]]


@attrs.frozen
class Table:
    """The rows, and the same rows indexed by state and event class for the machine's step."""

    rows: tuple[Row, ...] = ROWS
    by_state: dict[SessionState, StateRows] = attrs.field(init=False)

    @by_state.default
    def _by_state(self) -> dict[SessionState, StateRows]:
        cells: dict[SessionState, dict[type[SessionEvent], list[Row]]] = {
            state: {} for state in SessionState
        }
        for row in self.rows:
            cells[row.source].setdefault(row.event, []).append(row)
        return {
            state: {event: tuple(rows) for event, rows in events.items()}
            for state, events in cells.items()
        }

    def replace(self, old: Row, new: Row | None) -> Table:
        """A copy with one row swapped (or dropped): how mutation tests break the machine."""
        rows = tuple(new if r is old else r for r in self.rows)
        return Table(rows=tuple(r for r in rows if r is not None))


TABLE = Table()
