"""The kit's offline livekit objects: they live in `session_fsm._offline`, which ships without
the testing extra (the scenario runner needs them); re-exported here for the kit's users."""

from .._offline import (
    AGENT,
    STANDARD,
    in_memory_spans,
    join,
    leave,
    offline_job,
    offline_room,
    quiet_livekit,
    remote_participant,
    run_job_shutdown,
)

__all__ = [
    "AGENT",
    "STANDARD",
    "in_memory_spans",
    "join",
    "leave",
    "offline_job",
    "offline_room",
    "quiet_livekit",
    "remote_participant",
    "run_job_shutdown",
]
