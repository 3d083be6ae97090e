"""Suite-wide: keep livekit's expected offline noise out of the reports."""

from __future__ import annotations

from session_fsm.testing._offline import quiet_livekit

# a user's project with its own pytest.ini, run by `make wheel-check` and tests/install
collect_ignore = ["foreign_project"]

quiet_livekit()
