"""The invariants, read off the real objects after a run: what the property suites, the load run,
the scenario runner and users' own suites assert."""

from __future__ import annotations

import asyncio
from pathlib import Path

import psutil
from opentelemetry.sdk.trace import ReadableSpan

from .._adapters import agents
from .._adapters.recorder import OGG_MAGIC
from .._offline.spans import span_violations
from .._runtime.coordinator import SessionCoordinator
from ..fsm.errors import InvalidInput

__all__ = [
    "at_rest_violations",
    "library_tasks",
    "open_files",
    "real_violations",
    "recording_violations",
    "span_violations",
]

_PACKAGE = str(Path(__file__).resolve().parents[1])


def recording_violations(coord: SessionCoordinator) -> list[str]:
    broken = []
    for key in coord.sessions():
        for rec in coord.managed(key).recordings:
            if not rec.path.exists():
                broken.append(f"recording of {key} is gone: {rec.path}")
            elif rec.path.read_bytes()[:4] != OGG_MAGIC or rec.path.stat().st_size != rec.bytes:
                broken.append(f"recording of {key} is not the complete Ogg file it was")
    return broken


def at_rest_violations(coord: SessionCoordinator) -> list[str]:
    """Once every session is closed: nothing of any session is left anywhere."""
    broken = []
    if coord.room is not None:
        left = agents.byte_stream_topics(coord.room) + agents.text_stream_topics(coord.room)
        if left:
            broken.append(f"room handlers left: {left}")
    if coord.job is not None and agents.job_primary(coord.job) is not None:
        broken.append("the job's primary designation was not released")
    for key, session in coord.sessions().items():
        m = coord.managed(key)
        if agents.is_running(session) or agents.has_trace_token(session):
            broken.append(f"{key} still runs or holds its trace context")
        if m.span is not None and not m.span.finished:
            broken.append(f"{key}'s span never ended")
    return broken


def library_tasks() -> list[asyncio.Task[object]]:
    """asyncio tasks running this library's code (none may outlive the sessions)."""
    found = []
    for task in asyncio.all_tasks():
        code = getattr(task.get_coro(), "cr_code", None)
        if task is not asyncio.current_task() and code and code.co_filename.startswith(_PACKAGE):
            found.append(task)
    return found


def open_files(under: Path) -> list[str]:
    """Files under `under` this process still has open (recordings, exports)."""
    root = str(under.resolve())
    return [f.path for f in psutil.Process().open_files() if f.path.startswith(root)]


def real_violations(
    coord: SessionCoordinator, spans: list[ReadableSpan], *, at_rest: bool = False
) -> list[str]:
    """Every invariant, checked on the real objects: the coordinator's (`violations()`), the
    finished `spans`' and the recordings'; with `at_rest`, also that nothing is held once every
    session is closed. One line per violation, empty when all hold.

    Raises:
        SessionLifecycleError: `invalid_input` when `coord` is not a `SessionCoordinator`.
    """
    if not isinstance(coord, SessionCoordinator):
        raise InvalidInput(f"real_violations takes a SessionCoordinator, got {coord!r}")
    broken = coord.violations() + span_violations(spans) + recording_violations(coord)
    if at_rest:
        broken += at_rest_violations(coord)
    return broken
