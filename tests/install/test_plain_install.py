"""`session-fsm run` and the library with none of the extras' packages installed (the same as
`make wheel-check`, on this checkout's source, within make test)."""

from __future__ import annotations

import json
from pathlib import Path

from .sites import python_without

EXTRAS = ("hypothesis", "pytest", "_pytest", "pytest_asyncio", "transitions", "graphviz")
HANDOFF = Path(__file__).parents[1] / "foreign_project" / "handoff.json"


def test_run_needs_no_extra(tmp_path: Path) -> None:
    run = python_without(tmp_path, EXTRAS, "-m", "session_fsm._cli", "run", str(HANDOFF))
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["violations"] == [] and all(step["ok"] for step in out["steps"])
    assert out["final"]["sessions"] == {"intake": "closed", "main": "closed"}
    [recording] = out["final"]["recordings"]
    assert recording["session"] == "main" and recording["bytes"] > 200
    assert "Traceback" not in run.stderr and "transport is closed" not in run.stderr


def test_diagram_names_its_extra(tmp_path: Path) -> None:
    run = python_without(tmp_path, EXTRAS, "-m", "session_fsm._cli", "diagram")
    assert run.returncode == 2
    assert "pip install 'livekit-session-fsm[diagrams]'" in run.stderr
