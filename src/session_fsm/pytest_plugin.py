"""The `pytest11` entry point: the test kit's fixtures, when the `testing` extra is installed.

pytest loads every installed `pytest11` entry point in every project, ours included whatever the
project is. The kit (`session_fsm.testing._plugin`) needs the extra's packages (hypothesis,
pytest-asyncio, psutil); without them this module registers nothing and imports nothing of ours,
so installing the library never breaks another project's test run.
"""

from __future__ import annotations

import importlib.util

#: The modules of the `testing` extra that the kit imports.
KIT_NEEDS = ("hypothesis", "pytest_asyncio", "psutil")


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a broken or blocked install counts as absent
        return False


def kit_available() -> bool:
    return all(_installed(name) for name in KIT_NEEDS)


pytest_plugins = ["session_fsm.testing._plugin"] if kit_available() else []
