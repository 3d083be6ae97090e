"""A Python whose site-packages lacks some distributions, for what a plain install must survive.

This venv's site-packages is linked entry by entry into a temporary directory, except the named
distributions' entries (their modules and dist-info alike), and Python runs with `-S` on that
directory: the distributions are as absent as if never installed, entry points included.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import session_fsm

SOURCE = Path(session_fsm.__file__).parents[1]


def python_without(
    tmp_path: Path, without: tuple[str, ...], *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    site = Path(sysconfig.get_paths()["purelib"])
    farm = tmp_path / "site-packages"
    farm.mkdir(parents=True)
    for entry in site.iterdir():
        if not entry.name.lower().lstrip("_").startswith(without or ("\0",)):
            (farm / entry.name).symlink_to(entry)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SOURCE), str(farm)])}
    return subprocess.run(
        [sys.executable, "-S", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
