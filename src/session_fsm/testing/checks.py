"""The invariants, read off the real objects after a run: what the property suites, the load run,
the scenario runner and users' own suites assert."""

from __future__ import annotations

import asyncio
from pathlib import Path

import psutil
from opentelemetry.sdk.trace import ReadableSpan

from ..adapters import agents
from ..adapters.recorder import OGG_MAGIC
from ..adapters.telemetry import NAME, ROLE
from ..runtime.coordinator import SessionCoordinator

_PACKAGE = str(Path(__file__).resolve().parents[1])


def span_violations(spans: list[ReadableSpan]) -> list[str]:
    """Each managed session's span ends once (the SDK exports a span once per `end()`) and no
    session span is parented to another session's span."""
    sessions = [s for s in spans if s.name == "agent_session" and (s.attributes or {}).get(ROLE)]
    broken = []
    ids = {s.context.span_id for s in sessions if s.context is not None}
    #: every finished span's parent, to walk a session span's ancestry (a session started from
    #: agent code nests under the other session's turn or activity spans, not directly under it)
    parents = {s.context.span_id: s.parent for s in spans if s.context is not None}
    seen: set[int] = set()
    for span in sessions:
        assert span.context is not None
        name = (span.attributes or {}).get(NAME)
        if span.context.span_id in seen:
            broken.append(f"span of {name} ended twice")
        seen.add(span.context.span_id)
        ancestor, walked = span.parent, set()
        while ancestor is not None and ancestor.span_id not in walked:
            if ancestor.span_id in ids:
                broken.append(f"span of {name} nests under another session's span")
                break
            walked.add(ancestor.span_id)
            ancestor = parents.get(ancestor.span_id)
    return broken


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
    broken = coord.violations() + span_violations(spans) + recording_violations(coord)
    if at_rest:
        broken += at_rest_violations(coord)
    return broken
