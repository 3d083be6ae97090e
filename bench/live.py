"""Figures on real livekit objects: the coordinator's overhead on start+close, and how soon a
start waiting on a releasing primary is granted (in event-loop iterations)."""

from __future__ import annotations

import asyncio
import gc
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from livekit import rtc
from livekit.agents import Agent, AgentSession

from session_fsm import SessionCoordinator
from session_fsm._runtime.effects import execute
from session_fsm._runtime.managed import Managed
from session_fsm.fsm import _effects as fx
from session_fsm.testing._models import voice_session
from session_fsm.testing._offline import offline_room, quiet_livekit

quiet_livekit()

#: The sessions the overhead is measured on. `voice`: a voice agent's, with the test kit's model
#: providers (speech-to-text, VAD, LLM, TTS), the target's. `no_models`: no providers at all, so
#: livekit does the least work and the coordinator's share is the largest.
SESSIONS: dict[str, Callable[[], AgentSession[None]]] = {
    "voice": voice_session,
    "no_models": AgentSession,
}


async def bare_round(room: rtc.Room, make: Callable[[], AgentSession[None]]) -> float:
    """livekit's own start+close of a fresh session on `room`, timed. The session and its Agent
    (about 80 us to build) are made before the clock starts, on both paths."""
    s = make()
    agent = Agent(instructions="x")
    gc.collect(0)
    began = time.perf_counter()
    await s.start(agent, room=room, record=False)
    await s.aclose()
    return time.perf_counter() - began


async def managed_round(coord: SessionCoordinator, make: Callable[[], AgentSession[None]]) -> float:
    """The same start+close through the coordinator, timed; the session is forgotten after."""
    s = make()
    agent = Agent(instructions="x")
    gc.collect(0)
    began = time.perf_counter()
    await coord.start(s, agent)
    await coord.close(s)
    elapsed = time.perf_counter() - began
    coord.forget(s)
    return elapsed


#: Untimed rounds of each path before the timed ones.
WARMUP = 5


async def alternate(
    rounds: int,
    bare: Callable[[], Awaitable[float]],
    managed: Callable[[], Awaitable[float]],
) -> tuple[list[float], list[float]]:
    """Both paths warmed (`WARMUP` rounds each, not returned), then `rounds` of each, alternating
    which goes first so drift hits both alike: the bare and the managed times."""
    bare_times, managed_times = [], []
    for _ in range(WARMUP):
        await bare()
        await managed()
    for i in range(rounds):
        if i % 2:
            bare_times.append(await bare())
            managed_times.append(await managed())
        else:
            managed_times.append(await managed())
            bare_times.append(await bare())
    return bare_times, managed_times


async def _overhead(rounds: int, session: str) -> dict[str, float]:
    """Median start+close with and without the coordinator, alternated. Each round starts with
    an empty young generation (`gc.collect(0)`, outside the timing): both paths leave the same
    garbage behind (livekit's: about 600 objects a round without models, enough for one young
    collection in every voice round), but left to itself the collector's schedule phase-locks
    with the alternation and lands its collections more in one path's rounds than in the
    other's, which moved the ratio by up to 1.5 points on an unrelated change."""
    room = offline_room()  # no job: each session is the Room's primary, with and without us
    coord = SessionCoordinator.for_room(room)
    make = SESSIONS[session]
    bare_times, coord_times = await alternate(
        rounds, lambda: bare_round(room, make), lambda: managed_round(coord, make)
    )
    bare_ms = statistics.median(bare_times) * 1e3
    coord_ms = statistics.median(coord_times) * 1e3
    return {"bare_ms": bare_ms, "coordinator_ms": coord_ms, "ratio": coord_ms / bare_ms}


def overhead(rounds: int = 200, processes: int = 5) -> dict[str, Any]:
    """The probe on each of `SESSIONS`, in `processes` fresh interpreters each: the ratio moves
    by a percent or two from one process to the next (memory layout, the machine's load), more
    than within one. Per session, the run with the median ratio is reported, with the spread."""
    return {session: _overhead_runs(rounds, processes, session) for session in SESSIONS}


def _overhead_runs(rounds: int, processes: int, session: str) -> dict[str, Any]:
    code = (
        "import asyncio, json, bench.live as b; "
        f"print(json.dumps(asyncio.run(b._overhead({rounds}, {session!r}))))"
    )
    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", code], check=True, capture_output=True, text=True
            ).stdout
        )
        for _ in range(processes)
    ]
    runs.sort(key=lambda r: r["ratio"])
    return {**runs[len(runs) // 2], "ratios": [r["ratio"] for r in runs]}


class _Ticks:
    """Counts event-loop iterations: a callback that reschedules itself once per pass."""

    def __init__(self) -> None:
        self.count = 0
        self._loop = asyncio.get_running_loop()
        self._handle = self._loop.call_soon(self._tick)

    def _tick(self) -> None:
        self.count += 1
        self._handle = self._loop.call_soon(self._tick)

    def stop(self) -> None:
        self._handle.cancel()


class _Watch:
    """Wraps the coordinator's executor: notes the loop pass of the release and of the claim."""

    def __init__(self, coord: SessionCoordinator, ticks: _Ticks) -> None:
        self.inner, self.ticks = coord.runner, ticks
        self.released: int | None = None
        self.claimed: int | None = None
        coord.runner = self

    async def run(self, m: Managed, effect: fx.Effect) -> None:
        first_claim_after_release = self.released is not None and self.claimed is None
        if type(effect) is fx.ClaimPrimary and first_claim_after_release:
            self.claimed = self.ticks.count
        await execute(self.inner, m, effect)
        if type(effect) is fx.ReleasePrimary and self.released is None:
            self.released = self.ticks.count


class _ScopeWatch:
    """Stands in for the coordinator's scope: notes the pass in which the core grants the
    scope to the waiting start (the step's `grant`)."""

    def __init__(self, scope: Any, ticks: _Ticks) -> None:
        self._scope, self.ticks = scope, ticks
        self.granted: int | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._scope, name)

    def __contains__(self, key: object) -> bool:
        return key in self._scope

    def step(self, event: Any) -> Any:
        outcome = self._scope.step(event)
        if outcome.grant and self.granted is None:
            self.granted = self.ticks.count
        return outcome


async def _release_to_claim() -> dict[str, Any]:
    room = offline_room()
    coord = SessionCoordinator.for_room(room)
    a: AgentSession[None] = AgentSession()
    b: AgentSession[None] = AgentSession()
    await coord.start(a, Agent(instructions="a"), name="a")
    ticks = _Ticks()
    watch = _Watch(coord, ticks)
    scope = _ScopeWatch(coord.scope, ticks)
    coord.scope = scope  # type: ignore[assignment]
    closing = asyncio.ensure_future(coord.close(a))
    await asyncio.sleep(0)  # the close begins: the scope is releasing
    await asyncio.gather(closing, coord.start(b, Agent(instructions="b"), name="b"))
    ticks.stop()
    coord.scope = scope._scope
    await coord.aclose()
    assert None not in (watch.released, watch.claimed, scope.granted)
    return {
        "release_to_grant_passes": scope.granted - watch.released,  # type: ignore[operator]
        "grant_to_waiter_running_passes": watch.claimed - scope.granted,  # type: ignore[operator]
    }


def release_to_claim() -> dict[str, Any]:
    return asyncio.run(_release_to_claim())
