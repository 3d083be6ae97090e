"""livekit-session-fsm: the lifecycle of LiveKit Agents sessions as an explicit, verified state
machine. The core (`session_fsm.fsm`) is pure; the coordinator drives real sessions with it."""

from .fsm import (
    OwnershipState,
    Role,
    Scope,
    SessionLifecycleError,
    SessionState,
    errors,
)

__all__ = [
    "OwnershipState",
    "Role",
    "Scope",
    "SessionLifecycleError",
    "SessionState",
    "errors",
]
