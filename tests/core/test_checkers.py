"""The real table passes both checkers; the checkers report what they explored."""

from __future__ import annotations

import ast
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, settings

from session_fsm.fsm import _effects as fx
from session_fsm.fsm._explorer import Explorer, State, explore
from session_fsm.fsm._world import WorldSnapshot
from session_fsm.testing import core_machine

CORE = Path(__file__).parents[2] / "src" / "session_fsm" / "fsm"


@pytest.mark.parametrize("sessions", [1, 2, 3])
def test_every_interleaving_keeps_the_invariants(sessions: int) -> None:
    report = explore(sessions)
    assert report.ok, (report.violation, report.trace)
    assert report.states > 100 * sessions
    assert report.transitions > report.states


def test_the_reductions_lose_no_state_for_one_session() -> None:
    reduced, full = Explorer(1).run(), Explorer(1).run(reduce=False)
    assert (reduced.states, reduced.transitions) == (full.states, full.transitions)


def test_the_full_graph_of_two_sessions_keeps_the_invariants() -> None:
    report = Explorer(2).run(reduce=False)
    assert report.ok and report.states > explore(2).states


TestCoreMachine = core_machine(sessions=3).TestCase
TestCoreMachine.settings = settings(
    max_examples=150,
    stateful_step_count=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

FORBIDDEN = {"asyncio", "livekit", "time", "datetime", "os", "socket", "random", "threading"}


@pytest.mark.parametrize("path", sorted(CORE.glob("*.py")), ids=lambda p: p.name)
def test_the_core_is_sans_io(path: Path) -> None:
    tree = ast.parse(path.read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & FORBIDDEN, f"{path.name} imports {imported & FORBIDDEN}"


def _renamed(state: State, names: dict[str, str], keys: tuple[str, ...]) -> State:
    """`state` with its sessions renamed: every key in the scope, the records' plans, the lanes
    and the resources."""

    def key(k: str | None) -> str | None:
        return None if k is None else names[k]

    def value(v: object) -> object:
        return frozenset(map(names.get, v)) if isinstance(v, frozenset) else key(v)  # type: ignore[arg-type]

    def effects(plan: tuple[fx.Effect, ...]) -> tuple[fx.Effect, ...]:
        return tuple(attrs.evolve(e, session=names[e.session]) for e in plan)

    scope = state.scope
    records = {names[k]: r._replace(plan=effects(r.plan)) for k, r in scope.sessions}
    lanes = dict(zip((names[k] for k in keys), map(effects, state.lanes), strict=True))
    world = WorldSnapshot(*map(value, state.world))  # type: ignore[arg-type]
    return State(
        scope._replace(
            holder=key(scope.holder),
            waiter=key(scope.waiter),
            sessions=tuple((k, records[k]) for k in keys),
        ),
        world,
        tuple(lanes[k] for k in keys),
    )


def test_the_canonical_form_is_the_state_up_to_renaming_the_sessions() -> None:
    """Renamed states share their canonical form, and no two states that are not renamings of
    each other do (checked against every renaming, on the states of two sessions)."""
    explorer = Explorer(2)
    swap = {"s1": "s2", "s2": "s1"}
    states, frontier = {explorer.initial}, [explorer.initial]
    while frontier and len(states) < 1000:
        state = frontier.pop()
        for step in explorer.steps(state):
            result = explorer.apply(state, step)
            if result is not None and result[0] not in states:
                states.add(result[0])
                frontier.append(result[0])
    orbits = {frozenset({s, _renamed(s, swap, explorer.keys)}) for s in states}
    canonical = {explorer.canonical(s) for s in states}
    assert len(canonical) == len(orbits) < len(states)
    for state in states:
        assert explorer.canonical(_renamed(state, swap, explorer.keys)) == explorer.canonical(state)
