"""livekit's one expected offline warning: where it comes from (the session host writing to an
unconnected Room), that the filter drops exactly it, and that only the offline paths install
the filter (building an offline room does; importing the library changes no logging)."""

from __future__ import annotations

import inspect
import logging
import subprocess
import sys

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from session_fsm._adapters.capabilities import CAPABILITIES
from session_fsm._offline import logs, objects
from session_fsm._scenario import parse, run

HANDOFF = {
    "job": True,
    "steps": [
        {"op": "start", "session": "intake"},
        {"op": "close", "session": "intake"},
        {"op": "start", "session": "main"},
        {"op": "close", "session": "main"},
    ],
}


def _noise(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage() == logs.MESSAGE]


def _host_logs_it() -> bool:
    """livekit-agents 1.5's session host drops a failed send silently: nothing to filter (and
    before 1.5 there is no session host at all)."""
    if not CAPABILITIES.session_host:
        return False
    from livekit.agents.voice import remote_session

    return logs.MESSAGE in inspect.getsource(remote_session)


@pytest.mark.skipif(
    not _host_logs_it(),
    reason="this livekit-agents does not log it offline"
    if CAPABILITIES.session_host
    else "livekit-agents here has no session_host",
)
async def test_a_real_handoff_logs_it_and_the_filter_drops_exactly_that(
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    span_exporter: InMemorySpanExporter,
) -> None:
    logger = logging.getLogger(logs.LOGGER)
    monkeypatch.setattr(logger, "filters", [])  # as in a user's worker
    monkeypatch.setattr(objects, "quiet_livekit", lambda: None)  # offline_room would install it
    caplog.set_level(logging.WARNING)
    out = await run(parse(HANDOFF), span_exporter)
    assert out["violations"] == []
    noise = _noise(caplog)
    assert noise, "livekit no longer logs this offline: the filter can go"
    for record in noise:
        assert record.name == logs.LOGGER and record.exc_info is not None
        assert str(record.exc_info[1]) == logs.CAUSE
        assert not logs.OfflineTransportFilter().filter(record)
    caplog.clear()
    monkeypatch.undo()
    monkeypatch.setattr(logger, "filters", [])
    await run(parse(HANDOFF), span_exporter)  # its offline_room installs the filter
    assert _noise(caplog) == []
    logs.quiet_livekit()  # once is enough; again adds nothing
    assert sum(isinstance(f, logs.OfflineTransportFilter) for f in logger.filters) == 1


def test_other_records_pass() -> None:
    keep = logs.OfflineTransportFilter()

    def record(msg: str, error: BaseException | None) -> logging.LogRecord:
        info = (type(error), error, None) if error is not None else None
        return logging.LogRecord(logs.LOGGER, logging.WARNING, __file__, 1, msg, (), info)

    assert keep.filter(record(logs.MESSAGE, RuntimeError("failed to send binary stream")))
    assert keep.filter(record(logs.MESSAGE, None))
    assert keep.filter(record("something else", RuntimeError(logs.CAUSE)))
    assert not keep.filter(record(logs.MESSAGE, RuntimeError(logs.CAUSE)))


def test_importing_the_library_installs_no_filter() -> None:
    code = """
import logging
import session_fsm
from session_fsm import SessionCoordinator, ParticipantFanout, DirectoryExporter
import session_fsm._scenario
logger = logging.getLogger("livekit.agents")
print(len(logger.filters), logger.level)
"""
    run_ = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run_.returncode == 0, run_.stderr
    assert run_.stdout.split() == ["0", "0"]
