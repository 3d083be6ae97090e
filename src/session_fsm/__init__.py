"""livekit-session-fsm: the lifecycle of LiveKit Agents sessions as an explicit, verified state
machine. The core (`session_fsm.fsm`) is pure; the coordinator drives real sessions with it.

The public surface is the names in `__all__` here, `session_fsm.fsm`, `session_fsm.testing` and
the exporter protocol (`RecordingExporter`); every other module is private by name (`_runtime`,
`_adapters`, `fsm/_table.py`, ...), as in h11, and may change in any release.

The names below are imported on first use (PEP 562): `import session_fsm.fsm`, the docs
generator and `session-fsm --help` must not pay for livekit (seconds to import), and an
agent worker that uses the coordinator imports livekit anyway.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._adapters.exporters import (
        DirectoryExporter,
        ExportOutcome,
        HttpPutExporter,
        RecordingExporter,
        RecordingExportResult,
        RecordingInfo,
    )
    from ._adapters.roomio import LegacyRoomOptions
    from ._runtime import ParticipantFanout, ParticipantSession, SessionCoordinator, listen_only
    from .fsm import OwnershipState, Role, Scope, SessionLifecycleError, SessionState, errors

#: Where each public name lives (the module is imported when the name is first read).
_HOMES = {
    "DirectoryExporter": "._adapters.exporters",
    "ExportOutcome": "._adapters.exporters",
    "HttpPutExporter": "._adapters.exporters",
    "LegacyRoomOptions": "._adapters.roomio",
    "RecordingExporter": "._adapters.exporters",
    "RecordingExportResult": "._adapters.exporters",
    "RecordingInfo": "._adapters.exporters",
    "OwnershipState": ".fsm",
    "Role": ".fsm",
    "Scope": ".fsm",
    "SessionLifecycleError": ".fsm",
    "SessionState": ".fsm",
    "errors": ".fsm",
    "ParticipantFanout": "._runtime",
    "ParticipantSession": "._runtime",
    "SessionCoordinator": "._runtime",
    "listen_only": "._runtime",
}

__all__ = [
    "DirectoryExporter",
    "ExportOutcome",
    "HttpPutExporter",
    "LegacyRoomOptions",
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
