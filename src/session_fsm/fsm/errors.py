"""One exception family with a stable `code` for everything the library refuses or fails at.

Messages say what happened, which session holds what, and what the caller can do. The codes are
part of the public API: match on `error.code`, not on the message.
"""

from __future__ import annotations


class SessionLifecycleError(Exception):
    """Base of every error the library raises on purpose."""

    code: str = "session_lifecycle_error"

    def __init__(self, message: str, *, session: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.session = session

    def to_dict(self) -> dict[str, str]:
        """The error as the scenario runner reports it."""
        return {"code": self.code, "message": self.message}


class PrimaryConflict(SessionLifecycleError):
    """A session asked for the primary while another session holds or claimed it."""

    code = "primary_conflict"


class RecordingRequiresPrimary(SessionLifecycleError):
    """`record=True` on a session that resolves to secondary."""

    code = "recording_requires_primary"


class HostRequiresPrimary(SessionLifecycleError):
    """`host=True` on a session that resolves to secondary."""

    code = "host_requires_primary"


class ExporterRequiresPrimary(SessionLifecycleError):
    """Recording exporters on a session that resolves to secondary."""

    code = "exporter_requires_primary"


class ExporterRequiresRecording(SessionLifecycleError):
    """Recording exporters on a primary that will not record (`record=False`)."""

    code = "exporter_requires_recording"


class InvalidTransition(SessionLifecycleError):
    """An event the session's (or the scope's) current state does not accept."""

    code = "invalid_transition"


class ClaimTimeout(SessionLifecycleError):
    """A start waited longer than its `claim_timeout` for the releasing primary."""

    code = "claim_timeout"


class StartFailedError(SessionLifecycleError):
    """Starting the livekit session (or one of its effects) failed; everything was undone."""

    code = "start_failed"


class EffectFailed(SessionLifecycleError):
    """A drain (or another effect outside a start) failed or timed out; the state says where the
    session is, and closing it is always possible."""

    code = "effect_failed"


class InvalidInput(SessionLifecycleError):
    """A public entry point was given a value it cannot use (unknown role, foreign object,
    malformed scenario); nothing was changed."""

    code = "invalid_input"


class ScopeClosed(SessionLifecycleError):
    """A start (or a fan-out) asked of a coordinator whose job or room was shut down."""

    code = "scope_closed"


class ForeignSession(SessionLifecycleError):
    """A session that was already started directly with livekit, outside any coordinator."""

    code = "foreign_session"


class UnsupportedByLivekit(SessionLifecycleError):
    """The installed livekit-agents lacks what the start asked for (a session host, session
    recording): nothing was changed; upgrade livekit-agents or leave the option out. Which
    version has what: docs/compatibility.md."""

    code = "unsupported_by_livekit"


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
