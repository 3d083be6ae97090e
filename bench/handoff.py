"""The handoff gap: from the old primary's `close()` to the next primary running, with the old
primary's recording going to an exporter that returns at once, and to one that uploads for
`UPLOAD_S`. The gap must not grow with the upload: the designation and the room's topics are
released once the recording file is finalised, and the export goes on in the background.

Real livekit objects offline (a JobContext, RecorderIO writing Ogg); the upload is a timed wait,
standing in for the network. `python -m bench.handoff` prints the figures."""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

from livekit.agents import Agent, AgentSession

from session_fsm import RecordingExportResult, RecordingInfo, Role, SessionCoordinator
from session_fsm.testing._offline import offline_job, offline_room, quiet_livekit

UPLOAD_S = 1.0
ROUNDS = 5


async def _gap(upload_s: float) -> float:
    """One handoff: the new primary's start is asked for while the old one closes (it waits for
    the release), as an agent's handoff does it. Seconds from close() to the start's return."""

    async def exporter(info: RecordingInfo) -> RecordingExportResult:
        await asyncio.sleep(upload_s)  # the upload
        return RecordingExportResult(id=info.session_id)

    with offline_job(offline_room()) as job:
        coord = SessionCoordinator.for_job(job)
        old: AgentSession[None] = AgentSession()
        new: AgentSession[None] = AgentSession()
        await coord.start(old, Agent(instructions="old"), record=True, exporter=exporter)
        began = time.perf_counter()
        closing = asyncio.ensure_future(coord.close(old))
        started = asyncio.ensure_future(
            coord.start(new, Agent(instructions="new"), role=Role.PRIMARY)
        )
        await started
        gap = time.perf_counter() - began
        await closing
        await coord.exports_done(old)  # not timed: the export finishes in the background
        await coord.aclose()
    return gap


async def _measure() -> dict[str, Any]:
    quiet_livekit()
    await _gap(0.0)  # warm-up: imports, first RecorderIO
    fast = [await _gap(0.0) for _ in range(ROUNDS)]
    slow = [await _gap(UPLOAD_S) for _ in range(ROUNDS)]
    return {
        "upload_s": UPLOAD_S,
        "rounds": ROUNDS,
        "gap_ms_no_upload": statistics.median(fast) * 1e3,
        "gap_ms_slow_upload": statistics.median(slow) * 1e3,
        "gap_ms_slow_upload_max": max(slow) * 1e3,
    }


def handoff_gap() -> dict[str, Any]:
    return asyncio.run(_measure())


if __name__ == "__main__":
    print(handoff_gap())
