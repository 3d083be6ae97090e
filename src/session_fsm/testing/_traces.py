"""The explorer's paths as JSON traces, to replay through another runtime's core.

`python -m session_fsm.testing._traces OUT_DIR` writes, with the job's recording off and on:

- every path for 2 sessions (`--every`): the explorer's steps (each start variant, drain, close,
  promote, the runtime's `started`, `start_failed(completed=k)` and `closed` reports, interleaved
  with the effects each session runs) from the initial state, keeping the breadth-first tree of
  the distinct states reached (up to renaming the sessions), one trace per leaf. The events the
  core refused at a state are replayed there too (once, on the first path through it): a refusal
  must leave the state unchanged. Together the traces visit every state and every refusal the
  search met, each by a shortest route;
- for 3 sessions (`--sampled`), where every path is too many to replay, a deterministic sample:
  1000 seeded random walks (`--walks`) of 40 explorer steps (`--length`), each then driven to the
  end by closing every session as the runtime would.

Each step of a trace is a core event with what the Python core answered (its effects, or its
error's code and message) and the scope's whole state after it. Effects run by the runtime do not
reach the core; they are in a trace only as the events they make possible.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs

from ..fsm import _effects as fx
from ..fsm._events import Event, event_name
from ..fsm._explorer import Explorer, State, Step
from ..fsm._machine import Scope
from ..fsm._states import Role
from ..fsm._table import Flag, flag_names
from ..fsm.errors import SessionLifecycleError


def effect_json(effect: fx.Effect) -> dict[str, Any]:
    out: dict[str, Any] = {"type": type(effect).__name__}
    for name, value in attrs.asdict(effect, recurse=False).items():
        out[name] = value.value if isinstance(value, Role) else value
    return out


def event_json(event: Event) -> dict[str, Any]:
    out: dict[str, Any] = {"name": event_name(type(event))}
    for name, value in attrs.asdict(event, recurse=False).items():
        out[name] = value.value if isinstance(value, Role) else value
    return out


def scope_json(scope: Scope) -> dict[str, Any]:
    """The scope's whole state, as the other runtime must show it after the same events."""
    return {
        "ownership": scope.ownership.value,
        "holder": scope.holder,
        "foreign": scope.foreign,
        "waiter": scope.waiter,
        "sessions": {
            key: {
                "state": s.state.value,
                "role": None if s.role is None else s.role.value,
                "record": s.record,
                "host": s.host,
                "exporter": s.exporter,
                "flags": flag_names(Flag(s.flags)),
                "plan": [effect_json(e) for e in s.plan],
            }
            for key, s in scope.sessions().items()
        },
    }


@attrs.define
class _Node:
    state: State
    parent: _Node | None
    step: Step | None
    children: int = 0
    refused: list[Step] = attrs.Factory(list)
    probed: bool = False


def _tree(explorer: Explorer) -> list[_Node]:
    """The breadth-first tree of the distinct states (up to renaming), in visiting order."""
    root = _Node(explorer.initial, None, None)
    seen = {explorer.canonical(explorer.initial)}
    nodes, queue = [root], deque([root])
    while queue:
        node = queue.popleft()
        for step in explorer.steps(node.state):
            result = explorer.apply(node.state, step)
            if result is None:
                node.refused.append(step)
                continue
            nxt, broken = result
            assert not broken, f"the explorer found a violation: {broken}"
            key = explorer.canonical(nxt)
            if key not in seen:
                seen.add(key)
                child = _Node(nxt, node, step)
                node.children += 1
                nodes.append(child)
                queue.append(child)
    return nodes


def traces(sessions: int, *, record_default: bool = False) -> Iterator[dict[str, Any]]:
    """One trace per leaf of the explored tree (see the module docstring)."""
    explorer = Explorer(sessions, record_default=record_default)
    for leaf in (n for n in _tree(explorer) if n.children == 0):
        path: list[_Node] = []
        node: _Node | None = leaf
        while node is not None:
            path.append(node)
            node = node.parent
        path.reverse()
        scope = Scope(record_default=record_default)
        for key in explorer.keys:
            scope.add(key)
        steps: list[dict[str, Any]] = []
        for node in path:
            if node.step is not None and node.step.event is not None:
                steps.append(_feed(scope, node.step.event))
            if not node.probed:
                node.probed = True
                steps.extend(_feed(scope, r.event) for r in node.refused if r.event is not None)
        yield {
            "sessions": list(explorer.keys),
            "record_default": record_default,
            "steps": steps,
        }


def walks(
    sessions: int, *, count: int, length: int, seed: int = 0, record_default: bool = False
) -> Iterator[dict[str, Any]]:
    """`count` seeded random walks of up to `length` explorer steps each, then closing every
    session as the runtime would: a deterministic sample where every path is too many."""
    rng = random.Random(seed)
    explorer = Explorer(sessions, record_default=record_default)
    for _ in range(count):
        scope = Scope(record_default=record_default)
        for key in explorer.keys:
            scope.add(key)
        state, steps = explorer.initial, list[dict[str, Any]]()
        for _ in range(length):
            step = rng.choice(list(explorer.steps(state)))
            state = _walk(explorer, scope, state, step, steps)
        for _ in range(64 * sessions):
            closing = explorer.closing_step(state)
            if closing is None:
                break
            state = _walk(explorer, scope, state, closing, steps)
        yield {"sessions": list(explorer.keys), "record_default": record_default, "steps": steps}


def _walk(
    explorer: Explorer, scope: Scope, state: State, step: Step, steps: list[dict[str, Any]]
) -> State:
    if step.event is not None:
        steps.append(_feed(scope, step.event))
    result = explorer.apply(state, step)
    return state if result is None else result[0]


def _feed(scope: Scope, event: Event) -> dict[str, Any]:
    step: dict[str, Any] = {"event": event_json(event)}
    try:
        step["effects"] = [effect_json(e) for e in scope.handle(event)]
    except SessionLifecycleError as error:
        step["error"] = {"code": error.code, "message": error.message}
    step["after"] = scope_json(scope)
    return step


def write(out: Path, *, every: int, sampled: int, walks_: int, length: int) -> dict[str, Any]:
    """Every path for `every` sessions, and `walks_` walks for `sampled` sessions, each with the
    job's recording off and on, written as `<kind>-<n>[-record].json`; returns the counts."""
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, Any] = {}
    for record_default in (False, True):
        suffix = "-record" if record_default else ""
        for name, found in (
            (f"paths-{every}{suffix}", list(traces(every, record_default=record_default))),
            (
                f"walks-{sampled}{suffix}",
                list(
                    walks(
                        sampled,
                        count=walks_,
                        length=length,
                        seed=int(record_default),
                        record_default=record_default,
                    )
                ),
            ),
        ):
            counts[name] = {"paths": len(found), "steps": sum(len(t["steps"]) for t in found)}
            (out / f"{name}.json").write_text(json.dumps(found, separators=(",", ":")))
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m session_fsm.testing._traces", description=__doc__
    )
    parser.add_argument("out", type=Path, help="directory for the trace files")
    parser.add_argument("--every", type=int, default=2, help="sessions for every path")
    parser.add_argument("--sampled", type=int, default=3, help="sessions for the random walks")
    parser.add_argument("--walks", type=int, default=1000, help="walks per recording default")
    parser.add_argument("--length", type=int, default=40, help="explorer steps per walk")
    args = parser.parse_args(argv)
    counts = write(
        args.out, every=args.every, sampled=args.sampled, walks_=args.walks, length=args.length
    )
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
