"""Testing kit: hypothesis machines and strategies built from the core table.

Needs the `testing` extra (`pip install livekit-session-fsm[testing]`).
"""

from .core_machine import core_machine, start_events

__all__ = ["core_machine", "start_events"]
