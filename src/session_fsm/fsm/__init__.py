"""The lifecycle core: pure, sans-IO, deterministic.

Rules
=====
1. Everything that decides how sessions and their scope move lives in this package: the table
   (`_table.py`), the small class that applies it (`_machine.py`) and its three named special cases.
   The runtime and the adapters execute effects; they never decide.
2. No asyncio, no livekit, no clock, no I/O. The same events give the same states and effects.
3. Nothing about the machine is written twice: the diagrams (`_diagram.py`), the explorer
   (`_explorer.py`) and the hypothesis machine (`session_fsm.testing`) all read `_table.ROWS`.

Theory of operation
===================
Two machines, coupled.

*Sessions* (`SessionState`): created -> starting -> primary | secondary -> draining -> closed, and
closed -> starting again (restart). `start` resolves the asked role (`auto`, `primary`,
`secondary`) against the scope; `promote` turns a running secondary into the primary.

*Ownership* of one scope (`OwnershipState`): the job's primary designation, or a Room's when there
is no job. vacant -> claimed (a start claims it) -> held (the start landed) -> releasing (the
holder closes) -> vacant. Only session rows move it (`Row.move`), plus two scope events that record
a holder this scope does not manage (`ForeignHold`, `ForeignRelease`).

How they couple: a start that wants the primary claims a vacant scope, runs as secondary beside a
claimed or held one (`auto`), is refused naming the holder (`primary`), and *waits* while the
holder is releasing: a move that leaves the scope vacant grants it to the first waiter in the same
step. A failed or cancelled start does not let go of its claim until the runtime reports, with
`closed`, that the compensating effects ran; otherwise a waiter could claim the designation while
the failed start still held it.

Why close orders its effects as it does (`table.plan_primary_close`): the livekit session closes
first (its teardown stops the recorder and the `lk.agent.session` handler), then the recording is
finalised, the trace context is detached, and the job's designation is released; on `closed` the
scope is vacant and a waiting start is granted. A later primary therefore always finds the
designation and the handler free, sequential primaries never share a recording, and a handoff
waits for the recording file, never for an upload. A holder with exporters reports `closed` twice:
the first vacates the scope and asks for `plan_export` (export, put the references on the span,
end the span), the second ends the session; without exporters the span ends before the release.
Either way no span ends before what belongs on it is known.

What the runtime asks instead of deciding: `Scope.step(event)` is `handle` with the effects
sorted (the event's own session's, the plan a waiting start was granted, the states that moved);
`at_rest`, `is_running` and `awaits_closed` say what a session's state and flags mean for the
runtime; `report_holder` names the session livekit's end-of-job report should see, and
`see_designation` what to do about a designation held by a session the scope does not manage.
Effects carry the rest as fields: `StartSession.designation` says whether the session keeps the
designation livekit's start gives any session while nobody holds it.
"""

from ._effects import COMPENSATION, Effect, compensate
from ._events import (
    Close,
    Closed,
    Drain,
    Event,
    ForeignHold,
    ForeignRelease,
    Promote,
    Start,
    Started,
    StartFailed,
)
from ._machine import Outcome, Scope, SessionRecord
from ._states import OwnershipState, Role, SessionState
from ._table import MOVES, ROWS, TABLE, Row, Table
from .errors import ERROR_CODES, SessionLifecycleError

__all__ = [
    "COMPENSATION",
    "ERROR_CODES",
    "MOVES",
    "ROWS",
    "TABLE",
    "Close",
    "Closed",
    "Drain",
    "Effect",
    "Event",
    "ForeignHold",
    "ForeignRelease",
    "Outcome",
    "OwnershipState",
    "Promote",
    "Role",
    "Row",
    "Scope",
    "SessionLifecycleError",
    "SessionRecord",
    "SessionState",
    "Start",
    "StartFailed",
    "Started",
    "Table",
    "compensate",
]
