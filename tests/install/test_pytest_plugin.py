"""The `pytest11` entry point: the kit's fixtures with the testing extra, nothing without it, and
never an "Error while loading plugin" in someone else's project."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from session_fsm.fsm import Scope

from .sites import python_without

FOREIGN = Path(__file__).parents[1] / "foreign_project"
KIT_FIXTURES = ("offline_room", "offline_job", "coordinator", "span_exporter", "session_scope")


def _pytest(
    tmp_path: Path, *args: str, without: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """pytest on the foreign project, with the distributions in `without` not installed."""
    return python_without(tmp_path, without, "-m", "pytest", *args, cwd=FOREIGN)


def test_without_hypothesis_a_foreign_suite_passes_and_sees_no_fixture_of_ours(
    tmp_path: Path,
) -> None:
    run = _pytest(tmp_path, "-q", "--fixtures", without=("hypothesis",))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "numbers" in run.stdout  # the foreign project's own fixture
    for name in KIT_FIXTURES:
        assert name not in run.stdout
    assert "session_fsm" not in run.stdout + run.stderr
    run = _pytest(tmp_path / "again", "-q", without=("hypothesis",))
    assert run.returncode == 0 and "1 passed" in run.stdout, run.stdout + run.stderr


def test_without_pytest_asyncio_nothing_of_ours_loads_either(tmp_path: Path) -> None:
    run = _pytest(tmp_path, "-q", "--fixtures", without=("pytest_asyncio",))
    assert run.returncode == 0, run.stdout + run.stderr
    for name in KIT_FIXTURES:
        assert name not in run.stdout


def test_with_the_extra_the_kit_fixtures_are_registered(request: pytest.FixtureRequest) -> None:
    """This suite runs with the extra: the entry point registered the kit's plugin."""
    assert request.config.pluginmanager.has_plugin("session_fsm.testing._plugin")
    assert isinstance(request.getfixturevalue("session_scope"), Scope)
    assert isinstance(request.getfixturevalue("span_exporter"), InMemorySpanExporter)


def test_without_the_extra_the_kit_says_what_to_install(tmp_path: Path) -> None:
    run = python_without(tmp_path, ("hypothesis",), "-c", "import session_fsm.testing")
    assert run.returncode == 1
    assert "pip install 'livekit-session-fsm[testing]'" in run.stderr.splitlines()[-1]
