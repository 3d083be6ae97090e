"""livekit-session-fsm: the lifecycle of LiveKit Agents sessions as an explicit, verified state
machine. The core (`session_fsm.fsm`) is pure; the coordinator drives real sessions with it.

The names below are imported on first use (PEP 562): `import session_fsm.fsm`, the docs
generator and `session-fsm --help` must not pay for livekit (seconds to import), and an
agent worker that uses the coordinator imports livekit anyway.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .adapters.exporters import (
        DirectoryExporter,
        ExportOutcome,
        HttpPutExporter,
        RecordingExporter,
        RecordingExportResult,
        RecordingInfo,
    )
    from .fsm import OwnershipState, Role, Scope, SessionLifecycleError, SessionState, errors
    from .runtime import ParticipantFanout, ParticipantSession, SessionCoordinator, listen_only

#: Where each public name lives (the module is imported when the name is first read).
_HOMES = {
    "DirectoryExporter": ".adapters.exporters",
    "ExportOutcome": ".adapters.exporters",
    "HttpPutExporter": ".adapters.exporters",
    "RecordingExporter": ".adapters.exporters",
    "RecordingExportResult": ".adapters.exporters",
    "RecordingInfo": ".adapters.exporters",
    "OwnershipState": ".fsm",
    "Role": ".fsm",
    "Scope": ".fsm",
    "SessionLifecycleError": ".fsm",
    "SessionState": ".fsm",
    "errors": ".fsm",
    "ParticipantFanout": ".runtime",
    "ParticipantSession": ".runtime",
    "SessionCoordinator": ".runtime",
    "listen_only": ".runtime",
}

__all__ = [
    "DirectoryExporter",
    "ExportOutcome",
    "HttpPutExporter",
    "OwnershipState",
    "ParticipantFanout",
    "ParticipantSession",
    "RecordingExportResult",
    "RecordingExporter",
    "RecordingInfo",
    "Role",
    "Scope",
    "SessionCoordinator",
    "SessionLifecycleError",
    "SessionState",
    "errors",
    "listen_only",
]


if not TYPE_CHECKING:  # type checkers see the imports above; a typo stays an error for them

    def __getattr__(name: str) -> Any:
        home = _HOMES.get(name)
        if home is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home, __name__), name)
        globals()[name] = value  # the next read is a plain attribute
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
