"""Where the coordinator's overhead goes, beside real livekit: `python -m bench.where`.

The overhead figure of `make bench` says how much the coordinator adds to a start+close; this
says where. It puts a timer around each part of the coordinator and around livekit's own
`start()` and `aclose()`, and runs managed rounds alternating with bare ones, as `bench.live`
does. Each part is charged its own time only: the parts it calls (livekit's included) are taken
out. The parts are medians per round. Each timer costs a call of its own (a fraction of a
microsecond), so the parts read slightly high, and the run's overhead is above `make bench`'s;
what the parts leave unexplained is livekit's own work running slower right after ours.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from livekit.agents import AgentSession

from session_fsm import SessionCoordinator
from session_fsm._runtime import coordinator, lanes
from session_fsm._runtime.effects import ADAPTERS, EffectRunner
from session_fsm._runtime.hooks import LivekitHooks
from session_fsm._runtime.lanes import Lanes
from session_fsm._runtime.watchdog import EffectWatchdog
from session_fsm.fsm._events import Event
from session_fsm.testing._offline import offline_room

from .live import SESSIONS, WARMUP, alternate, bare_round, managed_round

#: Seconds spent in each part during the current round (its own time, not its callees').
_spent: collections.defaultdict[str, float] = collections.defaultdict(float)
#: Seconds spent inside any timed part so far: what a part's callees took.
_inside = [0.0]
LIVEKIT = "livekit"


def _charge(label: str, began: float, inside_before: float) -> None:
    elapsed = time.perf_counter() - began
    _spent[label] += elapsed - (_inside[0] - inside_before)
    _inside[0] = inside_before + elapsed


def _timed(label: Callable[..., str], fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn` timed under `label(*args)`; an awaitable it returns is timed to its end."""

    async def finish(pending: Awaitable[Any], name: str) -> Any:
        # from its first step: a coroutine handed to a task waits for it on the task's time
        began, inside = time.perf_counter(), _inside[0]
        try:
            return await pending
        finally:
            _charge(name, began, inside)

    @functools.wraps(fn)
    def timed(*args: Any, **kwargs: Any) -> Any:
        name, began, inside = label(*args), time.perf_counter(), _inside[0]
        result = fn(*args, **kwargs)
        _charge(name, began, inside)  # making it (for a coroutine, no more than that)
        if isinstance(result, Awaitable):
            return finish(result, name)
        return result

    return timed


def _patch(owner: Any, name: str, label: str) -> None:
    setattr(owner, name, _timed(lambda *a: label, getattr(owner, name)))


@functools.cache
def _instrument() -> None:
    """Timers on the classes themselves (once per process), before any coordinator exists."""
    coord = SessionCoordinator
    _patch(coord, "start", "start(): checks and event")
    _patch(coord, "close", "close(): lookup and event")
    _patch(coord, "_admit", "admitting the session")
    _patch(LivekitHooks, "listen", "the close listener")
    _patch(lanes, "unlisten", "the close listener")
    _patch(Lanes, "run_start", "the start's lane and loop")
    _patch(Lanes, "wind_down", "the close's lane and loop")
    _patch(coordinator, "uncancellable", "the close's own task")
    _patch(lanes, "uncancellable", "the close's own task")
    _patch(EffectWatchdog, "bound", "the effect watchdog")

    def step(_: Lanes, event: Event, *rest: Any) -> str:
        return f"core step + bookkeeping: {type(event).__name__}"

    Lanes.feed = _timed(step, Lanes.feed)  # type: ignore[method-assign]
    for kind, name in ADAPTERS.items():
        _patch(EffectRunner, name, f"effect: {kind.__name__}")
    _patch(AgentSession, "start", LIVEKIT)
    _patch(AgentSession, "aclose", LIVEKIT)


async def _rounds(rounds: int) -> tuple[float, float, dict[str, float]]:
    room = offline_room()
    coord = SessionCoordinator.for_room(room)
    make = SESSIONS["no_models"]  # the least livekit work: the least noise around our parts
    parts: dict[str, list[float]] = collections.defaultdict(list)

    async def managed() -> float:
        _spent.clear()
        elapsed = await managed_round(coord, make)
        for label, seconds in _spent.items():
            if label != LIVEKIT:
                parts[label].append(seconds)
        return elapsed

    bare_times, managed_times = await alternate(rounds, lambda: bare_round(room, make), managed)
    overhead = statistics.median(managed_times) - statistics.median(bare_times)
    return (
        statistics.median(bare_times),
        overhead,
        {k: statistics.median(v[WARMUP:]) for k, v in parts.items()},
    )


def _table(bare: float, overhead: float, parts: dict[str, float]) -> Iterator[str]:
    yield f"bare livekit start+close: {bare * 1e6:.0f} us"
    yield f"the coordinator adds: {overhead * 1e6:.0f} us (timers included)"
    yield ""
    yield "| part (per start+close) | us |"
    yield "|---|---|"
    for label, seconds in sorted(parts.items(), key=lambda kv: -kv[1]):
        yield f"| {label} | {seconds * 1e6:.1f} |"
    rest = overhead - sum(parts.values())
    yield f"| unexplained: livekit's own work, slower after ours | {rest * 1e6:.1f} |"


def main(rounds: int = 300) -> None:
    _instrument()
    bare, overhead, parts = asyncio.run(_rounds(rounds))
    print("\n".join(_table(bare, overhead, parts)))


if __name__ == "__main__":
    main()
