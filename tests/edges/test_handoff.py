"""A handoff never waits for an upload: the closing primary gives up the job's designation and the
room's topics once its recording file is finalised; the export goes on in the background and the
span ends after it, with the references on it."""

from __future__ import annotations

import asyncio

from livekit import rtc
from livekit.agents import JobContext
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from session_fsm import (
    RecordingExportResult,
    RecordingInfo,
    Role,
    SessionCoordinator,
    SessionState,
)
from session_fsm._adapters import agents
from session_fsm._adapters.room import HOST_TOPIC, RoomTopics

from ..integration.conftest import agent, new_session, short_recordings

#: every handoff here records and exports; livekit-agents before 1.7 writes no short recording
pytestmark = short_recordings


class Upload:
    """An exporter that holds its upload until the test lets it finish."""

    name = "upload"

    def __init__(self) -> None:
        self.entered, self.release, self.finished = asyncio.Event(), asyncio.Event(), False

    async def export(self, info: RecordingInfo) -> RecordingExportResult:
        self.entered.set()
        await self.release.wait()
        self.finished = True
        return RecordingExportResult(url="https://store.example/a.ogg", id="upload-1")


def finished_span(spans: InMemorySpanExporter, name: str) -> list[object]:
    return [
        s
        for s in spans.get_finished_spans()
        if s.name == "agent_session" and (s.attributes or {}).get("lk.session.name") == name
    ]


async def test_a_waiting_primary_is_granted_while_the_old_primary_uploads(
    coordinator: SessionCoordinator,
    offline_job: JobContext,
    offline_room: rtc.Room,
    span_exporter: InMemorySpanExporter,
) -> None:
    upload = Upload()
    old, new = new_session(), new_session()
    await coordinator.start(old, agent(), record=True, exporter=upload, name="old")
    closing = asyncio.ensure_future(coordinator.close(old))
    # tasks run in the order they were made: the close has begun (the scope is releasing) when
    # this start asks for the primary, so it waits for the release
    starting = asyncio.ensure_future(
        coordinator.start(new, agent(), role=Role.PRIMARY, name="new", claim_timeout=5.0)
    )
    await upload.entered.wait()
    assert await starting is SessionState.PRIMARY  # granted while the upload still runs
    assert await closing is SessionState.DRAINING  # close() returned; the export goes on
    assert not upload.finished
    assert agents.job_primary(offline_job) is new
    assert RoomTopics.of(offline_room).owner(HOST_TOPIC) == "new"
    assert finished_span(span_exporter, "old") == []  # its span waits for the references
    assert coordinator.violations() == []

    upload.release.set()
    [outcome] = await coordinator.exports_done(old)
    assert outcome.error is None and outcome.id == "upload-1"
    assert coordinator.state(old) is SessionState.CLOSED
    [span] = finished_span(span_exporter, "old")
    assert (span.attributes or {})["lk.recording_id"] == "upload-1"  # type: ignore[attr-defined]
    assert coordinator.violations() == []


async def test_a_handoff_after_close_does_not_wait_for_the_upload(
    coordinator: SessionCoordinator, offline_job: JobContext
) -> None:
    upload = Upload()
    old, new = new_session(), new_session()
    await coordinator.start(old, agent(), record=True, exporter=upload, name="old")
    await coordinator.close(old)  # returns with the upload still running
    assert await coordinator.start(new, agent(), role="primary", claim_timeout=5.0) is (
        SessionState.PRIMARY
    )
    assert not upload.finished and agents.job_primary(offline_job) is new
    upload.release.set()
    assert await coordinator.close(old, wait_export=True) is SessionState.CLOSED
    assert upload.finished and coordinator.exports(old)[0].id == "upload-1"


async def test_a_close_waiting_for_the_export_survives_a_forget_meanwhile(
    coordinator: SessionCoordinator,
) -> None:
    """The fan-out forgets a session once it is closed; a second caller still waiting in
    close(wait_export=True) then hears `closed`, not an error about a session the scope no
    longer knows (seen at a real job's shutdown)."""
    upload = Upload()
    old = new_session()
    await coordinator.start(old, agent(), record=True, exporter=upload, name="old")
    closing = asyncio.ensure_future(coordinator.close(old))
    await upload.entered.wait()  # the close has released; the export runs

    async def forget_once_exported() -> None:
        await coordinator.exports_done(old)
        coordinator.forget(old)  # as the fan-out does

    forgetting = asyncio.ensure_future(forget_once_exported())
    await asyncio.sleep(0)  # let it start waiting first: waiters wake in the order they came
    waiting = asyncio.ensure_future(coordinator.close(old, wait_export=True))
    await asyncio.sleep(0)
    upload.release.set()
    await forgetting
    assert await closing is SessionState.DRAINING
    assert await waiting is SessionState.CLOSED
    assert not coordinator.manages(old)
