"""Suite-wide: an unconnected Room makes the session host's writer log "room session transport is
closed" after each handoff. Expected offline, not a failure: keep it out of the reports."""

from __future__ import annotations

import logging

logging.getLogger("livekit.agents").setLevel(logging.CRITICAL)
