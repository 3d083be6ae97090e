"""pytest plugin: real livekit objects, offline. Registered by `session_fsm.pytest_plugin` (the
`pytest11` entry point) when the testing extra is installed.

Fixtures: `offline_room` (an unconnected `rtc.Room`), `offline_job` (a real `JobContext` for it,
made current), `coordinator` (the job's `SessionCoordinator`, its sessions closed after the
test), `span_exporter` (an in-memory OpenTelemetry exporter that sees every span livekit-agents
and this library make), and `session_scope` (a bare core scope).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest
import pytest_asyncio
from livekit import rtc

from ..fsm._machine import Scope

if TYPE_CHECKING:
    from livekit.agents import JobContext
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from .._runtime.coordinator import SessionCoordinator


@pytest.fixture
def session_scope() -> Scope:
    """A fresh core scope (one job's worth of ownership), no livekit involved."""
    return Scope()


@pytest_asyncio.fixture
async def offline_room() -> rtc.Room:
    """An unconnected Room with its local participant seated (it needs the running loop)."""
    from ._offline import offline_room as make

    return make()


@pytest_asyncio.fixture
async def offline_job(offline_room: rtc.Room) -> AsyncIterator[JobContext]:
    from ._offline import offline_job as make

    with make(offline_room) as job:
        yield job


@pytest_asyncio.fixture
async def coordinator(offline_job: JobContext) -> AsyncIterator[SessionCoordinator]:
    """The job's coordinator; what the test leaves running is closed after it, as the job's
    shutdown would (not left to be collected once the test's loop is closed)."""
    from .._runtime.coordinator import SessionCoordinator

    coord = SessionCoordinator.for_job(offline_job)
    yield coord
    await coord.aclose()


@pytest.fixture
def span_exporter() -> InMemorySpanExporter:
    """livekit-agents' spans, in memory (one exporter per process), cleared for each test."""
    from ._offline import in_memory_spans

    exporter = in_memory_spans()
    exporter.clear()
    return exporter
