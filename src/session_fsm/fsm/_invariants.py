"""The invariants, written once, checked against the abstract world and the real objects alike.

`check(scope, observation)` returns the broken invariants as sentences (empty when all hold).
`quiescent=True` adds the invariants that only hold when no effect is under way (what the real
objects must show between operations).
"""

from __future__ import annotations

from typing import Protocol

from ._machine import Scope
from ._states import OwnershipState, Role, SessionState
from ._table import Flag

_RELEASING = OwnershipState.RELEASING
_HELD = OwnershipState.HELD


class Observation(Protocol):
    """What is held, read off the resources (the abstract `World`, or livekit's real objects)."""

    @property
    def has_designation(self) -> bool: ...  # False for a Room scope: no job, no designation
    @property
    def can_host(self) -> bool: ...  # False where livekit has no host (livekit-agents 1.3)
    @property
    def job_primary(self) -> str | None: ...
    @property
    def host_owner(self) -> str | None: ...
    @property
    def recording(self) -> set[str]: ...
    @property
    def spans_open(self) -> set[str]: ...
    @property
    def contexts_attached(self) -> set[str]: ...
    @property
    def running(self) -> set[str]: ...


#: The invariants, by name, as the docs and reports list them.
INVARIANTS: dict[str, str] = {
    "one_primary": "at most one session claims, holds or releases the scope; only it is primary",
    "designation": "the job's primary designation points at the holder or at nobody",
    "host_exactly_while_held": "lk.agent.session belongs to the holder only, and to a hosting "
    "holder whenever it runs as primary",
    "recording_only_holder": "only the holder records",
    "closed_holds_nothing": "a closed session holds no designation, handler, recording, span, "
    "context or running session",
    "waits_only_on_release": "a start waits only while the holder is releasing",
}


def check(scope: Scope, obs: Observation, *, quiescent: bool = False) -> list[str]:
    broken: list[str] = []
    sessions = scope.sessions()
    holder = None if scope.foreign else scope.holder
    primaries = [k for k, s in sessions.items() if s.state is SessionState.PRIMARY]
    if len(primaries) > 1 or any(k != holder for k in primaries):
        broken.append(f"one_primary: primaries {primaries}, holder {scope.holder}")
    if scope.ownership is not OwnershipState.VACANT and scope.holder is None:
        broken.append(f"one_primary: scope {scope.ownership.value} with no holder")
    if holder is not None:
        h = sessions.get(holder)
        if h is None or h.role is not Role.PRIMARY or h.state is SessionState.CLOSED:
            broken.append(f"one_primary: holder {holder} is not a live primary")
    if obs.job_primary not in (None, scope.holder):
        broken.append(f"designation: job primary {obs.job_primary}, holder {scope.holder}")
    if obs.host_owner is not None and obs.host_owner != holder:
        broken.append(
            f"host_exactly_while_held: {obs.host_owner} owns lk.agent.session, "
            f"holder is {scope.holder}"
        )
    if quiescent and holder is not None and scope.ownership is _HELD:
        h = sessions[holder]
        hosting = h.host and obs.can_host
        if h.state is SessionState.PRIMARY and hosting and obs.host_owner != holder:
            broken.append(f"host_exactly_while_held: primary {holder} hosts nothing")
        if h.state is SessionState.PRIMARY and obs.has_designation and obs.job_primary != holder:
            broken.append(f"designation: primary {holder} is not the job's primary")
    for k in obs.recording:
        if k != holder:
            broken.append(f"recording_only_holder: {k} records, holder is {scope.holder}")
    for k, s in sessions.items():
        if s.state is SessionState.CLOSED or s.state is SessionState.CREATED:
            held = [
                what
                for what, yes in (
                    ("the scope", k == holder),
                    ("a wait", k == scope.waiter),
                    ("the job primary", obs.job_primary == k),
                    ("lk.agent.session", obs.host_owner == k),
                    ("a recording", k in obs.recording),
                    ("an open span", k in obs.spans_open),
                    ("a trace context", k in obs.contexts_attached),
                    ("a running session", k in obs.running),
                )
                if yes
            ]
            if held:
                broken.append(f"closed_holds_nothing: {k} ({s.state.value}) holds {held}")
        if Flag.WAITING in s.flags and scope.ownership is not _RELEASING:
            broken.append(
                f"waits_only_on_release: {k} waits while the scope is {scope.ownership.value}"
            )
    return broken
