"""What a transition asks the runtime to do: the core's outputs.

Effects are frozen values naming the session they act for. The runtime executes them in order
through the adapters; the core never learns how. Each start effect has a compensating effect
(`COMPENSATION`) that undoes it when a start fails or is cancelled half-way.
"""

from __future__ import annotations

import typing

import attrs

from ._events import SessionKey
from ._states import Role


@attrs.frozen(slots=True)
class ClaimPrimary:
    """Make the session the job's primary designation (the livekit `JobContext`'s)."""

    session: SessionKey


@attrs.frozen(slots=True)
class ReleasePrimary:
    """Give back what a primary takes from the job: the primary designation (cleared only while
    it is still this session's, so a release never clears another's) and the job's recording
    folder (a recording primary's start points it at a folder of its own, see `StartSession`)."""

    session: SessionKey


@attrs.frozen(slots=True)
class AttachContext:
    """Give the session a trace context of its own, parented to the caller's context."""

    session: SessionKey


@attrs.frozen(slots=True)
class DetachContext:
    """Detach the session's trace context token, in the context that attached it."""

    session: SessionKey


def _holds_designation(start: StartSession) -> bool:
    return start.role is Role.PRIMARY


@attrs.frozen(slots=True)
class StartSession:
    """Start the livekit `AgentSession` with the resolved role. A recording start first points
    the job's recording folder at a folder of the session's own (given back by `ReleasePrimary`):
    livekit records every primary of a job to the same `audio.ogg`. `designation` says whether
    the session holds the job's primary designation once livekit's start returns: livekit makes
    any session that starts while nobody holds it the job's primary, so a start that must not
    hold it (a secondary's) leaves it as the start found it."""

    session: SessionKey
    role: Role
    record: bool
    host: bool
    #: The plans say it; by default, whether the role is primary.
    designation: bool = attrs.field(default=attrs.Factory(_holds_designation, takes_self=True))


@attrs.frozen(slots=True)
class DrainSession:
    """Let the running session finish its current speech."""

    session: SessionKey


@attrs.frozen(slots=True)
class CloseSession:
    """Close the livekit `AgentSession` (activity, RoomIO), keeping its span and host for the
    effects that follow."""

    session: SessionKey


@attrs.frozen(slots=True)
class OpenSpan:
    """Take charge of the session's `agent_session` span, with its role."""

    session: SessionKey
    role: Role


@attrs.frozen(slots=True)
class AnnotateSpan:
    """Put facts on the session's span: its new role, or the recording's exported references."""

    session: SessionKey
    what: str


@attrs.frozen(slots=True)
class EndSpan:
    """End the session's span: once, after its last annotation."""

    session: SessionKey


@attrs.frozen(slots=True)
class StartRecording:
    """Record the session to a path of its own."""

    session: SessionKey


@attrs.frozen(slots=True)
class StopRecording:
    """Finalise the session's recording file."""

    session: SessionKey


@attrs.frozen(slots=True)
class ExportRecording:
    """Hand the finalised recording to the session's exporters."""

    session: SessionKey


@attrs.frozen(slots=True)
class RegisterHost:
    """The session owns the room's `lk.agent.session` handler."""

    session: SessionKey


@attrs.frozen(slots=True)
class UnregisterHost:
    """Remove the session's `lk.agent.session` handler so a later primary can register."""

    session: SessionKey


@attrs.frozen(slots=True)
class WaitForClaim:
    """The start waits until the releasing primary lets go; no work, a signal to the runtime."""

    session: SessionKey


Effect = (
    ClaimPrimary
    | ReleasePrimary
    | AttachContext
    | DetachContext
    | StartSession
    | DrainSession
    | CloseSession
    | OpenSpan
    | AnnotateSpan
    | EndSpan
    | StartRecording
    | StopRecording
    | ExportRecording
    | RegisterHost
    | UnregisterHost
    | WaitForClaim
)

#: Every effect class, in the order `Effect` names them.
EFFECTS: tuple[type[Effect], ...] = typing.get_args(Effect)
#: Effects that do no work on any resource: they only tell the runtime something.
SIGNALS: frozenset[type[Effect]] = frozenset({WaitForClaim})
#: Effects on what every session of a scope shares, the job's primary designation and the room's
#: `lk.agent.session` handler: the only effects whose order across sessions matters (the
#: explorer interleaves the others' freely).
SHARED: frozenset[type[Effect]] = frozenset(
    {ClaimPrimary, ReleasePrimary, RegisterHost, UnregisterHost}
)

#: The effect that undoes each start effect; effects missing here need no undoing.
COMPENSATION: dict[type[Effect], type[Effect]] = {
    ClaimPrimary: ReleasePrimary,
    AttachContext: DetachContext,
    StartSession: CloseSession,
    OpenSpan: EndSpan,
    StartRecording: StopRecording,
    RegisterHost: UnregisterHost,
}


def compensate(done: tuple[Effect, ...]) -> tuple[Effect, ...]:
    """The effects that undo `done`, newest first."""
    undo: list[Effect] = []
    for effect in reversed(done):
        inverse = COMPENSATION.get(type(effect))
        if inverse is not None:
            undo.append(inverse(effect.session))  # type: ignore[call-arg]
    return tuple(undo)
