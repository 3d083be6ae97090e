"""The `pytest11` entry point: the kit's fixtures with the testing extra, nothing without it, and
never an "Error while loading plugin" in someone else's project."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import session_fsm

FOREIGN = Path(__file__).parents[1] / "foreign_project"
SOURCE = Path(session_fsm.__file__).parents[1]
KIT_FIXTURES = ("offline_room", "offline_job", "coordinator", "span_exporter", "session_scope")


def _pytest(
    tmp_path: Path, *args: str, without: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """pytest on the foreign project in a fresh interpreter whose site-packages lacks the
    distributions named in `without`: this venv's site-packages, linked entry by entry except
    theirs (modules, dist-info and all), so they are as absent as if never installed."""
    site = Path(sysconfig.get_paths()["purelib"])
    farm = tmp_path / "site-packages"
    farm.mkdir(parents=True)
    for entry in site.iterdir():
        if not entry.name.lower().lstrip("_").startswith(without or ("\0",)):
            (farm / entry.name).symlink_to(entry)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SOURCE), str(farm)])}
    return subprocess.run(
        [sys.executable, "-S", "-m", "pytest", *args],  # -S: only the linked site-packages
        cwd=FOREIGN,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


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


def test_with_the_extra_the_kit_fixtures_are_registered(tmp_path: Path) -> None:
    run = _pytest(tmp_path, "-q", "--fixtures")
    assert run.returncode == 0, run.stdout + run.stderr
    for name in KIT_FIXTURES:
        assert name in run.stdout
