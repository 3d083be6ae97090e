"""pytest plugin (registered through the `pytest11` entry point): fixtures for testing agent code
with the library. Fixtures are cheap to request: each builds its object only when asked for."""

from __future__ import annotations

import pytest

from ..fsm.machine import Scope


@pytest.fixture
def session_scope() -> Scope:
    """A fresh core scope (one job's worth of ownership), no livekit involved."""
    return Scope()
