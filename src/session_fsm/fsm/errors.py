"""One exception family with a stable `code` for everything the library refuses or fails at.

Messages say what happened, which session holds what, and what the caller can do. The codes are
part of the public API: match on `error.code`, not on the message. Each class's docstring says what
its code means and its `remedy` what to do about it; the docs' error-code page is generated from
both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class SessionLifecycleError(Exception):
    """Base of every error the library raises on purpose."""

    code: str = "session_lifecycle_error"
    #: What to do about it (the docs' error-code page shows it beside the meaning).
    remedy: str = "Read the message: it names the session, what it holds and what to do."

    def __init__(self, message: str, *, session: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.session = session

    def to_dict(self) -> dict[str, str]:
        """The error as the scenario runner reports it."""
        return {"code": self.code, "message": self.message}


class PrimaryConflict(SessionLifecycleError):
    """A session asked for the primary (`start(role="primary")` or `promote()`) while another
    session holds, claims or is still starting as the primary. Nothing was started."""

    code = "primary_conflict"
    remedy = (
        "Close (or drain, then close) the holder named in the message first, or start with "
        "role='auto' to run as a secondary beside it. A start that wants the primary while the "
        "holder is already closing waits instead (bounded by claim_timeout)."
    )


class RecordingRequiresPrimary(SessionLifecycleError):
    """`record=True` on a session that resolves to secondary (`role="secondary"`, or `"auto"`
    while another session is the primary): only the primary records. Nothing was started."""

    code = "recording_requires_primary"
    remedy = (
        "Pass record=None or record=False for a secondary, or close the primary first so this "
        "session resolves to primary."
    )


class HostRequiresPrimary(SessionLifecycleError):
    """`host=True` on a session that resolves to secondary: only the primary hosts the Room's
    `lk.agent.session` topic (one handler per Room). Nothing was started."""

    code = "host_requires_primary"
    remedy = (
        "Pass host=None or host=False for a secondary, or close the primary first so this "
        "session resolves to primary."
    )


class ExporterRequiresPrimary(SessionLifecycleError):
    """Recording exporters (`exporter=`) on a session that resolves to secondary: a secondary
    never records, so there would be nothing to export. Nothing was started."""

    code = "exporter_requires_primary"
    remedy = (
        "Drop the exporter from a secondary's start, or close the primary first so this session "
        "resolves to primary and records."
    )


class ExporterRequiresRecording(SessionLifecycleError):
    """Recording exporters on a primary that will not record (`record=False`, or `record=None`
    with the job's recording turned off). Nothing was started."""

    code = "exporter_requires_recording"
    remedy = "Pass record=True with the exporter, or drop the exporter."


class InvalidTransition(SessionLifecycleError):
    """An event the session's (or the scope's) current state does not accept: draining a
    session that is not running, forgetting one that still runs, asking the core about a session
    it does not know. The state is unchanged."""

    code = "invalid_transition"
    remedy = (
        "Check the session's state first (coord.state(session)); the message names the state "
        "and what it accepts. Every state accepts a close."
    )


class ClaimTimeout(SessionLifecycleError):
    """A start (or promotion) that wants the primary waited longer than its `claim_timeout` for
    the previous primary to finish closing. It was not started and holds nothing."""

    code = "claim_timeout"
    remedy = (
        "Raise claim_timeout (per call, or on the coordinator), or make the holder's close "
        "quicker: its exporters run inside it, each bounded by export_timeout."
    )


class StartFailedError(SessionLifecycleError):
    """Starting the livekit session (or one of its effects: the claim, the recorder, the
    Room's topics) failed or timed out. Everything the start had taken was released, and the
    cause is chained (`__cause__`) and recorded on the session's span."""

    code = "start_failed"
    remedy = (
        "Fix the cause named in the message (often livekit's own error, chained) and start the "
        "session again: it is back where it was before the start."
    )


class EffectFailed(SessionLifecycleError):
    """A drain (or another effect outside a start and a close) failed or timed out. The state
    says where the session is; the cause is chained and recorded on the session's span."""

    code = "effect_failed"
    remedy = "Close the session (always possible from any state), then start it again if needed."


class InvalidInput(SessionLifecycleError, TypeError, ValueError):
    """A public entry point was given a value it cannot use (a value of the wrong type, unknown
    role, a non-positive timeout, a session another coordinator manages or none does, a
    duplicate name, `record=True` without a job, a malformed scenario). Nothing was changed.

    It is the one error every public entry point rejects bad arguments with. It is also a
    `TypeError` and a `ValueError`, so that code written for the built-in errors these checks
    raised before (and the usual Python idiom for a wrong type or value) keeps catching it;
    match on `code`, not on those."""

    code = "invalid_input"
    remedy = (
        "Fix the argument the message names. A session belongs to the coordinator that started "
        "it; record=True needs SessionCoordinator.for_job(ctx)."
    )


class ScopeClosed(SessionLifecycleError):
    """A start (or a fan-out) asked of a coordinator whose job or room was shut down."""

    code = "scope_closed"
    remedy = (
        "Start sessions in a live scope: a new job's coordinator (SessionCoordinator.for_job(ctx) "
        "with the new JobContext), or a new Room's."
    )


class ForeignSession(SessionLifecycleError):
    """A session that was already started directly with livekit, outside any coordinator."""

    code = "foreign_session"
    remedy = (
        "Close the session (await session.aclose()) and start it through the coordinator, or "
        "start every session of the job through it from the beginning."
    )


class UnsupportedByLivekit(SessionLifecycleError):
    """The installed livekit-agents lacks what the start asked for (a session host, session
    recording): nothing was changed; upgrade livekit-agents or leave the option out. Which
    version has what: docs/compatibility.md."""

    code = "unsupported_by_livekit"
    remedy = (
        "Upgrade livekit-agents to a version that has the option (docs/compatibility.md), or "
        "leave the option out."
    )


def instance_of(kind: type | tuple[type, ...], names: str) -> Callable[[Any, Any, Any], None]:
    """An attrs validator that refuses a value of another type with `invalid_input`, naming the
    class, the field and what it takes (`names`): what a public value class validates with."""

    def check(instance: Any, field: Any, value: Any) -> None:
        if not isinstance(value, kind):
            where = f"{type(instance).__name__}.{field.name}"
            raise InvalidInput(f"{where} must be {names}, got {value!r}")

    return check


ERROR_CODES: tuple[str, ...] = tuple(
    cls.code
    for cls in (
        PrimaryConflict,
        RecordingRequiresPrimary,
        HostRequiresPrimary,
        ExporterRequiresPrimary,
        ExporterRequiresRecording,
        InvalidTransition,
        ClaimTimeout,
        StartFailedError,
        EffectFailed,
        InvalidInput,
        ScopeClosed,
        ForeignSession,
        UnsupportedByLivekit,
    )
)
