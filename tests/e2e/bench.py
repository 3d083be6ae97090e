"""`make bench-e2e`: three figures on the real server, each next to bare livekit-agents doing
what it can in the same run.

- room creation to agent joined (the server's timestamps);
- a participant's join (the client starts connecting) to its transcriber live (started);
- the handoff gap: from the primary starting to close to the next (recorded) primary's recorder
  receiving the client's audio.

Rounds run one after another (`E2E_BENCH_ROUNDS`, default 5), one room each, against a worker
running the example and a worker running `bare_agent.py`. Worker-side moments are polled every
5 ms (`worker.py`). Writes `.tools/e2e/bench.json` and the table in docs/e2e.md.

    python -m tests.e2e.server <server> -- python -m tests.e2e.bench
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

from livekit import api, rtc

from .kit import (
    ROOT,
    Client,
    Worker,
    clients,
    create_room,
    job_report,
    participants,
    read_events,
    until,
)

DOC = ROOT / "docs" / "e2e.md"
BEGIN = "<!-- generated:e2e-bench (make bench-e2e) -->"
END = "<!-- /generated:e2e-bench -->"
AGENT = api.ParticipantInfo.Kind.AGENT
ROUNDS = int(os.environ.get("E2E_BENCH_ROUNDS", "5"))


async def moment(events: Path, room: str, kind: str, session: str) -> float:
    async def probe() -> list[dict[str, Any]]:
        return [
            e for e in read_events(events, room) if e["kind"] == kind and e["session"] == session
        ]

    found = await until(probe, bool, timeout=30, what=f"{kind} of {session} in {room}")
    return float(found[0]["t"])


async def transcriber_live(events: Path, room: str, identity: str) -> float:
    async def probe() -> list[dict[str, Any]]:
        return [
            e
            for e in read_events(events, room)
            if e["kind"] == "live" and e["session"].startswith(f"{identity}#")
        ]

    found = await until(probe, bool, timeout=30, what=f"{identity}'s transcriber live")
    return float(found[0]["t"])


async def one_round(
    lk: api.LiveKitAPI, worker: Worker, agent_name: str, room: str
) -> dict[str, float | str]:
    out: dict[str, float | str] = {}
    await create_room(lk, room, agent_name)
    created = next(r for r in (await lk.room.list_rooms(api.ListRoomsRequest(names=[room]))).rooms)
    async with clients(room, "alice") as (alice,):
        await alice.wait_agent()
        agent = next(p for p in await participants(lk, room) if p.kind == AGENT)
        out["agent"] = (agent.joined_at_ms - created.creation_time_ms) / 1000
        await alice.publish_tone()
        state = await alice.with_primary()
        primary = state["primary"]

        started = time.time()
        bob = Client(room, "bob")
        await bob.join()
        try:
            out["transcriber"] = await transcriber_live(worker.events, room, "bob") - started
        finally:
            await bob.leave()

        try:
            after = await alice.rpc("handoff", "record")
        except rtc.RpcError as exc:
            out["handoff"] = f"handoff fails: {exc.message}"
        else:
            ending = await moment(worker.events, room, "ending", primary)
            heard = await moment(worker.events, room, "audio", after)
            out["handoff"] = heard - ending
        await lk.room.delete_room(api.DeleteRoomRequest(room=room))
        await job_report(worker.events, room)
    return out


def summary(values: list[float | str]) -> str:
    numbers = [v for v in values if isinstance(v, float)]
    if not numbers:
        return str(values[0]).split(".")[0]
    ms = [v * 1000 for v in numbers]
    return (
        f"median {statistics.median(ms):.0f} ms (min {min(ms):.0f}, max {max(ms):.0f}, n={len(ms)})"
    )


async def main() -> None:
    run_dir = ROOT / ".tools" / "e2e-bench"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    events = run_dir / "events"
    results: dict[str, dict[str, list[float | str]]] = {}
    programs = {
        "library": ("bench-library", {}),
        "bare": ("bench-bare", {"E2E_ENTRYPOINT": "bare"}),
    }
    workers = {
        name: Worker(
            events,
            run_dir / f"{name}-worker.log",
            agent_name=agent,
            RECORDINGS_DIR=str(run_dir / "recordings"),
            **env,
        )
        for name, (agent, env) in programs.items()
    }
    lk = api.LiveKitAPI(os.environ["LIVEKIT_URL"].replace("ws://", "http://", 1))
    try:
        for worker in workers.values():
            worker.wait_registered()
        for i in range(ROUNDS):
            for name, worker in workers.items():  # alternate, so both see the same machine
                figures = await one_round(lk, worker, programs[name][0], f"bench-{name}-{i}")
                for key, value in figures.items():
                    results.setdefault(name, {}).setdefault(key, []).append(value)
                print(name, i, figures, flush=True)
    finally:
        await lk.aclose()
        for worker in workers.values():
            worker.stop()

    (ROOT / ".tools" / "e2e").mkdir(parents=True, exist_ok=True)
    (ROOT / ".tools" / "e2e" / "bench.json").write_text(json.dumps(results, indent=2))
    rows = [
        "| figure | with the library | bare livekit-agents |",
        "|---|---|---|",
    ]
    names = {
        "agent": "room creation to agent joined",
        "transcriber": "join to transcriber live",
        "handoff": "handoff gap (primary closing to the next primary hearing the client)",
    }
    for key, label in names.items():
        rows.append(
            f"| {label} | {summary(results['library'][key])} | {summary(results['bare'][key])} |"
        )
    table = "\n".join(rows)
    print(table)
    text = DOC.read_text()
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    DOC.write_text(text[:start] + "\n" + table + "\n" + text[end:])


if __name__ == "__main__":
    asyncio.run(main())
