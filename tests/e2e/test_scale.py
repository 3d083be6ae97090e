"""Scenario 5: scale-out on LiveKit's own dispatch. Two worker processes on the one server, 20
rooms created at once: every room gets its agent and its voice session as primary. The figures
(jobs per worker, room creation to agent joined, p50 / p95, from the server's own timestamps) go
to `.tools/e2e/scale.json`, and to docs/e2e.md under `make e2e-docs`."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from livekit import api

from .kit import ROOT, Worker, participants, read_events, until

ROOMS = 20
SCALE_AGENT_NAME = "session-fsm-scale"
AGENT = api.ParticipantInfo.Kind.AGENT
DOC = ROOT / "docs" / "e2e.md"
BEGIN = "<!-- generated:e2e-scale (make e2e-docs) -->"
END = "<!-- /generated:e2e-scale -->"


@pytest.fixture
def two_workers(events: Path, run_dir: Path) -> Iterator[list[Worker]]:
    workers = [
        Worker(events, run_dir / f"scale-worker-{i}.log", agent_name=SCALE_AGENT_NAME)
        for i in (1, 2)
    ]
    try:
        for worker in workers:
            worker.wait_registered()
        yield workers
    finally:
        for worker in workers:
            worker.stop()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def test_twenty_rooms_at_once_on_two_workers(
    two_workers: list[Worker], lk: api.LiveKitAPI, events: Path, run_dir: Path
) -> None:
    names = [f"scale-{i:02d}" for i in range(ROOMS)]

    async def create(name: str) -> api.Room:
        room = await lk.room.create_room(api.CreateRoomRequest(name=name))
        await lk.agent_dispatch.create_dispatch(
            api.CreateAgentDispatchRequest(room=name, agent_name=SCALE_AGENT_NAME)
        )
        return room

    rooms = await asyncio.gather(*(create(name) for name in names))

    async def agents_joined() -> dict[str, int]:
        joined = {}
        for name in names:
            agents = [p for p in await participants(lk, name) if p.kind == AGENT]
            if agents:
                joined[name] = agents[0].joined_at_ms
        return joined

    joined = await until(
        agents_joined, lambda j: len(j) == ROOMS, timeout=240, what="an agent in every room"
    )

    async def started() -> dict[str, dict[str, object]]:
        done = {}
        for name in names:
            for event in read_events(events, name):
                if event["kind"] == "entrypoint_done":
                    done[name] = event
        return done

    done = await until(
        started, lambda d: len(d) == ROOMS, timeout=120, what="every job's entrypoint done"
    )
    assert {d["ownership"] for d in done.values()} == {"held"}
    assert all(d["primary"] == "session-1" for d in done.values())

    jobs = [e for name in names for e in read_events(events, name) if e["kind"] == "job"]
    per_worker = Counter(e["worker_id"] for e in jobs)
    assert sum(per_worker.values()) == ROOMS and len(jobs) == ROOMS

    latencies = [(joined[room.name] - room.creation_time_ms) / 1000 for room in rooms]
    jobs_per_worker = sorted(per_worker.values(), reverse=True)
    figures = {
        "rooms": ROOMS,
        "workers": len(two_workers),
        "jobs_per_worker": jobs_per_worker,
        "room_created_to_agent_joined_p50_s": round(statistics.median(latencies), 2),
        "room_created_to_agent_joined_p95_s": round(percentile(latencies, 0.95), 2),
        "room_created_to_agent_joined_max_s": round(max(latencies), 2),
    }
    (run_dir / "scale.json").write_text(json.dumps(figures, indent=2))
    if os.environ.get("E2E_WRITE_DOCS"):
        text = DOC.read_text()
        start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
        body = (
            f"\n{ROOMS} rooms created at once, {len(two_workers)} workers: jobs per worker "
            f"{' / '.join(map(str, jobs_per_worker))}; room creation to agent joined "
            f"p50 {figures['room_created_to_agent_joined_p50_s']} s, "
            f"p95 {figures['room_created_to_agent_joined_p95_s']} s, "
            f"max {figures['room_created_to_agent_joined_max_s']} s.\n"
        )
        DOC.write_text(text[:start] + body + text[end:])

    await asyncio.gather(*(lk.room.delete_room(api.DeleteRoomRequest(room=name)) for name in names))
