"""livekit-session-fsm: the lifecycle of LiveKit Agents sessions as an explicit, verified state
machine. The core (`session_fsm.fsm`) is pure; the coordinator drives real sessions with it."""

from .adapters.exporters import (
    DirectoryExporter,
    ExportOutcome,
    HttpPutExporter,
    RecordingExporter,
    RecordingExportResult,
    RecordingInfo,
)
from .fsm import OwnershipState, Role, Scope, SessionLifecycleError, SessionState, errors
from .runtime import ParticipantFanout, SessionCoordinator

__all__ = [
    "DirectoryExporter",
    "ExportOutcome",
    "HttpPutExporter",
    "OwnershipState",
    "ParticipantFanout",
    "RecordingExportResult",
    "RecordingExporter",
    "RecordingInfo",
    "Role",
    "Scope",
    "SessionCoordinator",
    "SessionLifecycleError",
    "SessionState",
    "errors",
]
