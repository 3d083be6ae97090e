"""The load run (`make stress`): 1 primary + 999 secondaries started at once, then 10,000 random
start/close/promote operations, on real AgentSessions in one job. Zero violations after every
batch, nothing held and no task left once all close, and memory back to its baseline once the
job has ended (livekit's JobContext keeps each session it ever started until then: every
`start()` registers a shutdown callback that refers to the session)."""

from __future__ import annotations

import asyncio
import gc
import json
import random
import time
import tracemalloc
from pathlib import Path

import pytest

from session_fsm import SessionCoordinator, SessionLifecycleError, SessionState
from session_fsm._adapters import agents
from session_fsm.testing._checks import at_rest_violations, library_tasks
from session_fsm.testing._offline import (
    in_memory_spans,
    offline_job,
    offline_room,
    run_job_shutdown,
)

from ..integration.conftest import agent, new_session

SESSIONS = 1_000
OPERATIONS = 10_000
BATCH = 20  # operations in flight at once
REPORT = Path(__file__).parents[2] / "bench" / "stress.json"


async def one_job(sessions: int, operations: int, report: dict[str, float]) -> None:
    rng = random.Random(20261122)
    room = offline_room()
    with offline_job(room) as job:
        # livekit's own concurrent start grows faster than linearly: bound it generously
        coord = SessionCoordinator(
            job=job, effect_timeout=1800, claim_timeout=1800, close_timeout=1800
        )
        pool = [new_session() for _ in range(sessions)]
        began = time.perf_counter()
        await coord.start(pool[0], agent(), name="s0")
        states = await asyncio.gather(
            *(coord.start(s, agent(), name=f"s{i}") for i, s in enumerate(pool) if i)
        )
        report["start_all_seconds"] = time.perf_counter() - began
        assert coord.state(pool[0]) is SessionState.PRIMARY
        assert states.count(SessionState.SECONDARY) == sessions - 1
        assert agents.byte_stream_topics(room).count("lk.agent.session") == 1
        assert coord.violations() == []

        refused = 0

        async def op(kind: str, session: object) -> None:
            nonlocal refused
            try:
                if kind == "start":
                    await coord.start(session, agent())  # type: ignore[arg-type]
                else:
                    await getattr(coord, kind)(session)
            except SessionLifecycleError:
                refused += 1

        for _ in range(operations // BATCH):
            kinds = ("start", "close", "promote")
            batch = [(rng.choice(kinds), rng.choice(pool)) for _ in range(BATCH)]
            await asyncio.gather(*(op(kind, s) for kind, s in batch))
            assert coord.violations() == []
        report["refused"] = refused
        report["peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20

        await coord.aclose()
        assert at_rest_violations(coord) == []
        assert not library_tasks()
        for s in pool:
            coord.forget(s)
        await run_job_shutdown(job)
        report["wall_seconds"] = time.perf_counter() - began


def measure(sessions: int, operations: int) -> dict[str, float]:
    """Each job on its own event loop, memory read once that loop is gone: pending livekit
    callbacks of a running loop still refer to the sessions they belonged to."""
    spans = in_memory_spans()
    asyncio.run(one_job(2, 10, {}))  # imports and one-off caches are not growth
    spans.clear()
    gc.collect()
    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    report: dict[str, float] = {"sessions": sessions, "operations": operations}
    asyncio.run(one_job(sessions, operations, report))
    spans.clear()  # the in-memory exporter keeps every span by design
    gc.collect()
    report["retained_after_job_kib"] = (tracemalloc.get_traced_memory()[0] - baseline) / 1024
    report["peak_mib"] -= baseline / 2**20
    tracemalloc.stop()
    return {k: round(v, 2) for k, v in report.items()}


@pytest.mark.stress
def test_load() -> None:
    report = measure(SESSIONS, OPERATIONS)
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2) + "\n")
    print(report)
    assert report["retained_after_job_kib"] < 1024, report
