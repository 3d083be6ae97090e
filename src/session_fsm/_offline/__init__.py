"""Real livekit objects, offline: what `session-fsm run`, `session-fsm demo` and the test kit
share. Shipped with the library and importing no test tool (no hypothesis, no pytest), so the
scenario runner works after a plain `pip install`; `session_fsm.testing` re-exports all of it.

- `offline_room`, `offline_job`, `remote_participant`, `join`, `leave`, `run_job_shutdown`
  (`objects`): an unconnected `rtc.Room`, a real `JobContext` for it, participants, shutdown;
- `ToneInput` (`audio`): a generated tone as a session's audio input, so recordings hold audio;
- `in_memory_spans`, `span_violations` (`spans`): livekit's spans in memory, and their checks;
- `quiet_livekit` (`logs`): drops livekit's one expected offline warning, nothing else
  (`offline_room` installs it).
"""

from .audio import ToneInput
from .logs import quiet_livekit
from .objects import (
    AGENT,
    STANDARD,
    join,
    leave,
    offline_job,
    offline_room,
    remote_participant,
    run_job_shutdown,
)
from .spans import in_memory_spans, span_violations

__all__ = [
    "AGENT",
    "STANDARD",
    "ToneInput",
    "in_memory_spans",
    "join",
    "leave",
    "offline_job",
    "offline_room",
    "quiet_livekit",
    "remote_participant",
    "run_job_shutdown",
    "span_violations",
]
