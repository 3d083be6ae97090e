"""Keep one expected warning of livekit's out of offline runs, and nothing else.

On an unconnected `rtc.Room`, livekit-agents' session host (`voice/remote_session.py`,
`SessionHost._write_loop`) still tries to send each session event (agent state changes, the
close) to remote clients of the `lk.agent.session` topic. `RoomSessionTransport.send_message`
raises `RuntimeError("room session transport is closed")` because the room is not connected, and
the write loop logs it on the `livekit.agents` logger as "failed to send session event" with the
traceback: four per session, harmless offline (there is no one to send to), read as failures.

The filter drops exactly those records: that message, with that exception. Every other record of
livekit's passes, and it is installed only by building an offline room (`offline_room`: the
scenario runner, the demo, the test kit's fixtures), never by importing the library: in a
user's worker the same warning on a connected room would be news.
"""

from __future__ import annotations

import logging

LOGGER = "livekit.agents"
MESSAGE = "failed to send session event"
CAUSE = "room session transport is closed"


class OfflineTransportFilter(logging.Filter):
    """Drops livekit's "failed to send session event" records caused by an unconnected room."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg != MESSAGE or not record.exc_info:
            return True
        error = record.exc_info[1]
        return not (isinstance(error, RuntimeError) and str(error) == CAUSE)


def quiet_livekit() -> None:
    """Install the filter on livekit-agents' logger (once; calling again changes nothing)."""
    logger = logging.getLogger(LOGGER)
    if not any(isinstance(f, OfflineTransportFilter) for f in logger.filters):
        logger.addFilter(OfflineTransportFilter())
