"""What importing costs: the pure core imports no livekit (nor asyncio, OpenTelemetry, the
diagram tools), the CLI answers `--help` and `--version` without livekit, and the package's
public names still resolve (lazily, PEP 562)."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import version

import pytest

import session_fsm
from session_fsm import _cli as cli

HEAVY = ("livekit", "opentelemetry", "asyncio", "aiohttp", "transitions", "graphviz", "hypothesis")


def _imported_after(code: str) -> list[str]:
    """Top-level packages of HEAVY that a fresh interpreter has imported after `code`."""
    probe = f"""
import sys
{code}
print(__import__("json").dumps(sorted({{m.split(".")[0] for m in sys.modules}} & {set(HEAVY)!r})))
"""
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    found: list[str] = json.loads(run.stdout.splitlines()[-1])
    return found


def test_importing_the_core_imports_nothing_heavy() -> None:
    assert _imported_after("import session_fsm.fsm") == []
    assert _imported_after("from session_fsm.fsm import Scope, SessionState; Scope()") == []


def test_help_and_version_import_no_livekit() -> None:
    for flag in ("--help", "--version"):
        code = f"""
from session_fsm import _cli as cli
try:
    cli.main([{flag!r}])
except SystemExit as done:
    assert done.code == 0
"""
        assert _imported_after(code) == []


def test_help_lists_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "exit status:" in out
    for code in ("0", "1", "2"):
        assert f"\n  {code}  " in out


def test_version_is_the_distribution_s(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--version"])
    assert capsys.readouterr().out == f"session-fsm {version('livekit-session-fsm')}\n"


def test_every_public_name_resolves_and_is_listed() -> None:
    for name in session_fsm.__all__:
        assert getattr(session_fsm, name) is not None
        assert name in dir(session_fsm)
    assert session_fsm.SessionLifecycleError is session_fsm.errors.SessionLifecycleError
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = session_fsm.Nope  # type: ignore[attr-defined]
