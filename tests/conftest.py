"""Suite-wide: keep livekit's expected offline noise out of the reports."""

from __future__ import annotations

from session_fsm.testing.offline import quiet_livekit

quiet_livekit()
