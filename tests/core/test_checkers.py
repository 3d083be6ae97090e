"""The real table passes both checkers; the checkers report what they explored."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from session_fsm.fsm._explorer import Explorer, explore
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
