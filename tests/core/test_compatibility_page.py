"""docs/compatibility.md's table, and the README's short one, are the ones the last
`make matrix` results make."""

from __future__ import annotations

import functools
import importlib.util
import json
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).parents[2]


@functools.cache  # loaded once: nox refuses a session registered twice
def _noxfile() -> ModuleType:
    spec = importlib.util.spec_from_file_location("noxfile", ROOT / "noxfile.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_table_is_generated_from_the_committed_results() -> None:
    nox = _noxfile()
    results = [json.loads(p.read_text()) for p in sorted(nox.RESULTS.glob("*.json"))]
    assert {r["livekit_agents"] for r in results} == set(nox.SUPPORTED)
    assert all(r["ok"] for r in results)
    assert nox.render(results) in nox.PAGE.read_text()


def test_the_readme_table_is_generated_from_the_committed_results() -> None:
    nox = _noxfile()
    results = [json.loads(p.read_text()) for p in sorted(nox.RESULTS.glob("*.json"))]
    assert nox.render_summary(results) in nox.README.read_text()
