"""Core figures: the step of each cycle against a dict table making the same moves (and
`transitions`), scaling to 50,000 sessions, memory per session, and the explorer's times."""

from __future__ import annotations

import gc
import statistics
import time
import timeit
import tracemalloc
from collections.abc import Callable
from typing import Any

from transitions import Machine

from session_fsm.fsm import (
    Close,
    Closed,
    Drain,
    Role,
    Scope,
    SessionLifecycleError,
    Start,
    Started,
)
from session_fsm.fsm._explorer import Explorer

#: The cycle `transitions` and the scaling probe run: start, started, drain, close, closed.
CYCLE = ("start", "started", "drain", "close", "closed")
STATES = ["created", "starting", "secondary", "draining", "closed"]
DICT_TABLE = {
    ("closed", "start"): "starting",
    ("starting", "started"): "secondary",
    ("secondary", "drain"): "draining",
    ("draining", "close"): "draining",
    ("draining", "closed"): "closed",
}
SIZES = (10, 100, 1_000, 10_000, 50_000)


def per_call(fn: Callable[[], object], calls: int, *, repeat: int = 5, number: int = 1) -> float:
    """Median CPU seconds per call of `fn` (which makes `calls` calls)."""
    runs = sorted(timeit.repeat(fn, number=number, repeat=repeat, timer=time.process_time))
    return runs[len(runs) // 2] / (calls * number)


def _cpu(fn: Callable[[], object]) -> float:
    """CPU seconds of one call: the machine may be shared, and other processes' load should
    not count."""
    began = time.process_time()
    fn()
    return time.process_time() - began


def events(key: str) -> list[Any]:
    return [Start(key, Role.SECONDARY), Started(key), Drain(key), Close(key), Closed(key)]


#: The cycles users and the explorer run, as core events for session "a" (a refusal is one
#: start(role="primary") while session "h" holds the scope).
CYCLES: dict[str, list[Any]] = {
    "primary": [Start("a"), Started("a"), Close("a"), Closed("a")],
    "secondary": [Start("a", Role.SECONDARY), Started("a"), Close("a"), Closed("a")],
    "refusal": [Start("a", Role.PRIMARY)],
}

#: The same cycles as a dict table: (state, event) -> (target, ownership move).
DICT_CYCLES: dict[str, dict[tuple[str, str], tuple[str, str | None]]] = {
    "primary": {
        ("closed", "start"): ("starting", "claim"),
        ("starting", "started"): ("primary", "hold"),
        ("primary", "close"): ("draining", "release"),
        ("draining", "closed"): ("closed", "vacate"),
    },
    "secondary": {
        ("closed", "start"): ("starting", None),
        ("starting", "started"): ("secondary", None),
        ("secondary", "close"): ("draining", None),
        ("draining", "closed"): ("closed", None),
    },
    "refusal": {("closed", "start"): ("starting", "claim")},
}
DICT_MOVES = {
    "claim": ("vacant", "claimed"),
    "hold": ("claimed", "held"),
    "release": ("held", "releasing"),
    "vacate": ("releasing", "vacant"),
}
_NAMES = {Start: "start", Started: "started", Close: "close", Closed: "closed"}


class Refused(Exception):
    pass


class DictSession:
    """A session and its scope on a dict table: the baseline the core step is compared with."""

    def __init__(self, table: dict[tuple[str, str], tuple[str, str | None]]) -> None:
        self.table = table
        self.state = "closed"
        self.scope = "vacant"
        self.holder: str | None = None

    def handle(self, key: str, name: str) -> None:
        target, move = self.table[(self.state, name)]
        if move is not None:
            source, dest = DICT_MOVES[move]
            if self.scope != source:
                raise Refused(f"session {key!r}: the primary is held by {self.holder!r}")
            self.scope = dest
            self.holder = key if dest != "vacant" else None
        self.state = target


def _core_cycle(name: str, loops: int) -> Callable[[], None]:
    scope, cycle = Scope(), CYCLES[name]
    if name == "refusal":
        scope.handle(Start("h"))
        scope.handle(Started("h"))
    handle = scope.handle

    def run() -> None:
        for _ in range(loops):
            for event in cycle:
                handle(event)

    def refused() -> None:
        for _ in range(loops):
            try:
                handle(cycle[0])
            except SessionLifecycleError:
                continue
            raise AssertionError("the start was not refused")

    return refused if name == "refusal" else run


def _dict_cycle(name: str, loops: int) -> Callable[[], None]:
    session = DictSession(DICT_CYCLES[name])
    if name == "refusal":
        session.scope, session.holder = "held", "h"
    cycle = [("a", _NAMES[type(event)]) for event in CYCLES[name]]
    handle = session.handle

    def run() -> None:
        for _ in range(loops):
            for key, event in cycle:
                handle(key, event)

    def refused() -> None:
        key, event = cycle[0]
        for _ in range(loops):
            try:
                handle(key, event)
            except Refused:
                continue
            raise AssertionError("the start was not refused")

    return refused if name == "refusal" else run


def step() -> dict[str, Any]:
    """CPU ns per event of each cycle: the core's `handle` (which also returns the effects), a
    dict table making the same state and ownership moves; and `transitions` on the secondary
    cycle with a drain."""
    loops = 2_000
    out: dict[str, Any] = {}
    for name, cycle in CYCLES.items():
        steps = loops * len(cycle)
        core, table = _core_cycle(name, loops), _dict_cycle(name, loops)
        core_runs, dict_runs = [], []
        for _ in range(9):  # alternated, so a busy moment hits both alike
            core_runs.append(_cpu(core) / steps * 1e9)
            dict_runs.append(_cpu(table) / steps * 1e9)
        core_ns, dict_ns = statistics.median(core_runs), statistics.median(dict_runs)
        out[name] = {"core_ns": core_ns, "dict_ns": dict_ns, "ratio": core_ns / dict_ns}

    machine_model = type("TModel", (), {})()
    Machine(
        model=machine_model,
        states=STATES,
        transitions=[
            {"trigger": name, "source": src, "dest": dst} for (src, name), dst in DICT_TABLE.items()
        ],
        initial="closed",
        auto_transitions=False,
    )
    triggers = [getattr(machine_model, name) for name in CYCLE]

    def trans() -> None:
        for _ in range(loops // 10):
            for trigger in triggers:
                trigger()

    out["transitions_ns"] = per_call(trans, loops // 10 * len(CYCLE)) * 1e9
    return out


def populated(size: int) -> Scope:
    """A scope holding `size` running secondaries."""
    scope = Scope()
    for i in range(size):
        key = f"s{i}"
        scope.handle(Start(key, Role.SECONDARY))
        scope.handle(Started(key))
    return scope


def _core_at(size: int) -> tuple[float, float]:
    """ns per step of a start+close cycle, and per add/forget, with `size` sessions running."""
    scope = populated(size)
    cycle = events("probe")

    def steps() -> None:
        for _ in range(200):
            for event in cycle:
                scope.handle(event)

    def add_remove() -> None:
        for i in range(500):
            scope.add(f"x{i}")
        for i in range(500):
            scope.forget(f"x{i}")

    return per_call(steps, 200 * len(cycle)) * 1e9, per_call(add_remove, 1_000) * 1e9


def _transitions_at(machine: Machine, probe: Any) -> tuple[float, float]:
    """ns per trigger of a model, and per add/remove of a model, on a machine of that size."""
    triggers = [getattr(probe, n) for n in CYCLE]
    extra = [type("M", (), {})() for _ in range(20)]

    def steps() -> None:
        for _ in range(20):
            for trigger in triggers:
                trigger()

    def add_remove() -> None:
        machine.add_model(extra)
        for m in extra:
            machine.remove_model(m)

    return per_call(steps, 100, repeat=3) * 1e9, per_call(add_remove, 40, repeat=3) * 1e9


def scaling() -> dict[str, Any]:
    """Per-operation cost against the number of sessions in the scope, core and transitions."""
    out: dict[str, Any] = {"sizes": list(SIZES)}
    core = [_core_at(size) for size in SIZES]
    out["core_cycle_ns"] = [c[0] for c in core]
    out["core_add_remove_ns"] = [c[1] for c in core]
    machine = Machine(
        states=STATES,
        transitions=[{"trigger": n, "source": s, "dest": d} for (s, n), d in DICT_TABLE.items()],
        initial="closed",
        auto_transitions=False,
        model=[],
    )
    models: list[Any] = []
    measured = []
    for size in SIZES:  # one machine, grown to each size in turn
        grow = [type("M", (), {})() for _ in range(size - len(models))]
        machine.add_model(grow)
        models += grow
        measured.append(_transitions_at(machine, models[0]))
    out["transitions_trigger_ns"] = [m[0] for m in measured]
    out["transitions_add_remove_ns"] = [m[1] for m in measured]
    return out


def bulk_add_remove(count: int = 50_000) -> dict[str, float]:
    """Seconds to add and then remove `count` sessions (core) and models (transitions)."""
    keys = [f"s{i}" for i in range(count)]
    scope = Scope()
    began = time.perf_counter()
    for key in keys:
        scope.add(key)
    for key in reversed(keys):
        scope.forget(key)
    core = time.perf_counter() - began
    machine = Machine(states=STATES, initial="closed", auto_transitions=False, model=[])
    models = [type("M", (), {})() for _ in range(count)]
    began = time.perf_counter()
    machine.add_model(models)
    for m in reversed(models):
        machine.remove_model(m)
    return {"core_s": core, "transitions_s": time.perf_counter() - began}


def memory(count: int = 50_000) -> dict[str, float]:
    """Bytes per running session in the core, and per model on one transitions.Machine."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    scope = populated(count)
    core = (tracemalloc.get_traced_memory()[0] - before) / count
    del scope
    gc.collect()
    sample = 10_000  # transitions at 50,000 takes ~17 s to add; per model it is flat
    before = tracemalloc.get_traced_memory()[0]
    machine = Machine(states=STATES, initial="closed", auto_transitions=False, model=[])
    machine.add_model([type("M", (), {})() for _ in range(sample)])
    trans = (tracemalloc.get_traced_memory()[0] - before) / sample
    tracemalloc.stop()
    del machine
    return {"core_bytes": core, "transitions_bytes": trans, "sessions": count}


def explorer(max_states_n5: int = 150_000) -> list[dict[str, Any]]:
    rows = []
    for n in (2, 3, 4, 5):
        began, cpu = time.perf_counter(), time.process_time()
        report = Explorer(n).run(max_states=max_states_n5 if n == 5 else None)
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
        rows.append(
            {
                "sessions": n,
                "states": report.states,
                "transitions": report.transitions,
                "seconds": seconds,
                "cpu_seconds": cpu,
                "states_per_s": report.states / cpu,
                "complete": n < 5 or report.states < max_states_n5,
                "violations": 0 if report.ok else 1,
            }
        )
    return rows
