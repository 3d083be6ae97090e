"""Exporters are isolated from each other and from the close; the timeouts compose and bound."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import pytest
from livekit.agents import JobContext
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from session_fsm import (
    DirectoryExporter,
    RecordingExportResult,
    RecordingInfo,
    SessionCoordinator,
    SessionLifecycleError,
    SessionState,
)
from session_fsm._adapters.exporters import ExporterLike

from ..integration.conftest import agent, new_session, short_recordings


class Tracked:
    """Exporters that note the task they ran in, to check none outlives the close."""

    def __init__(self) -> None:
        self.tasks: list[asyncio.Task[object]] = []
        self.gate = asyncio.Event()  # never set: `hangs` waits until it is cut

    def _note(self) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.tasks.append(task)

    async def raises_cancelled(self, info: RecordingInfo) -> RecordingExportResult:
        self._note()
        raise asyncio.CancelledError

    async def cancels_itself(self, info: RecordingInfo) -> RecordingExportResult:
        self._note()
        task = asyncio.current_task()
        assert task is not None
        task.cancel()
        await self.gate.wait()
        return RecordingExportResult(id="never")

    async def hangs(self, info: RecordingInfo) -> RecordingExportResult:
        self._note()
        await self.gate.wait()
        return RecordingExportResult(id="never")


def span_of(spans: InMemorySpanExporter, name: str) -> dict[str, object]:
    [span] = [
        s
        for s in spans.get_finished_spans()
        if s.name == "agent_session" and (s.attributes or {}).get("lk.session.name") == name
    ]
    return dict(span.attributes or {})


@short_recordings
async def test_a_cancelling_exporter_is_only_its_own_error(
    offline_job: JobContext, span_exporter: InMemorySpanExporter, tmp_path: Path
) -> None:
    coord = SessionCoordinator(job=offline_job, export_timeout=1.0)
    kit = Tracked()
    exporters: list[ExporterLike] = [
        kit.raises_cancelled,
        kit.cancels_itself,
        kit.hangs,
        DirectoryExporter(tmp_path),
    ]
    session = new_session()
    await coord.start(session, agent(), record=True, exporter=exporters, name="v")
    assert await coord.close(session, wait_export=True) is SessionState.CLOSED
    cancelled, self_cancelled, hung, copied = coord.exports(session)
    assert cancelled.error is not None and "CancelledError" in cancelled.error
    assert self_cancelled.error is not None and "CancelledError" in self_cancelled.error
    assert hung.error == "timed out after 1s"
    assert copied.error is None and copied.id is not None
    assert span_of(span_exporter, "v")["lk.recording_id"] == copied.id
    assert len(kit.tasks) == 3 and all(t.done() for t in kit.tasks)  # none outlives the close
    assert coord.violations() == []
    await coord.aclose()


@short_recordings
async def test_close_timeout_bounds_job_shutdown_and_keeps_finished_exports(
    offline_job: JobContext, span_exporter: InMemorySpanExporter, tmp_path: Path
) -> None:
    coord = SessionCoordinator(job=offline_job, close_timeout=0.3, export_timeout=20.0)
    kit = Tracked()
    session = new_session()

    async def quick(info: RecordingInfo) -> RecordingExportResult:
        return RecordingExportResult(id="quick")

    exporters: list[ExporterLike] = [kit.hangs, quick]
    await coord.start(session, agent(), record=True, exporter=exporters, name="v")
    # without the bound, shutdown waits for the hanging exporter's 20 s export_timeout
    await asyncio.wait_for(coord.aclose(), 10.0)
    hung, done = coord.exports(session)
    assert hung.error is not None and "cut" in hung.error
    assert done.error is None and done.id == "quick"
    assert coord.state(session) is SessionState.CLOSED
    assert span_of(span_exporter, "v")["lk.recording_id"] == "quick"
    assert all(t.done() for t in kit.tasks)


@pytest.mark.parametrize(
    "options",
    [
        {"effect_timeout": 10.0, "export_timeout": 30.0},  # the watchdog would cut the export
        {"effect_timeout": 30.0, "export_timeout": 30.0},
        {"claim_timeout": math.nan},
        {"close_timeout": math.inf},
        {"export_timeout": -1},
        {"effect_timeout": True},
        {"claim_timeout": "10"},
        {"close_timeout": None},
    ],
    ids=repr,
)
def test_timeouts_are_checked_at_construction(
    offline_job: JobContext, options: dict[str, object]
) -> None:
    before = agents_state(offline_job)
    with pytest.raises(SessionLifecycleError) as caught:
        SessionCoordinator(job=offline_job, **options)  # type: ignore[arg-type]
    assert caught.value.code == "invalid_input"
    assert next(iter(options)) in caught.value.message
    assert agents_state(offline_job) == before


def agents_state(job: JobContext) -> tuple[object, ...]:
    from session_fsm._adapters import agents

    return (agents.job_primary(job), agents.attached(job, "coordinator"), job._on_session_end)


@short_recordings
async def test_an_exporter_that_swallows_its_cancellation_cannot_hold_the_close(
    offline_job: JobContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from session_fsm._adapters import exporters as module

    monkeypatch.setattr(module, "STOP_GRACE", 0.05)
    stop = asyncio.Event()

    async def stubborn(info: RecordingInfo) -> RecordingExportResult:
        while not stop.is_set():
            try:
                await stop.wait()
            except asyncio.CancelledError:
                continue  # refuses to stop
        return RecordingExportResult(id="late")

    coord = SessionCoordinator(job=offline_job, export_timeout=0.1)
    session = new_session()
    await coord.start(session, agent(), record=True, exporter=stubborn, name="v")
    await asyncio.wait_for(coord.close(session, wait_export=True), 5.0)
    [outcome] = coord.exports(session)
    assert outcome.error == "timed out after 0.1s"
    # only the exporter that refused to stop is left, and the close did not wait for it
    [left] = [t for t in asyncio.all_tasks() if t.get_coro().__qualname__ == "_call"]  # type: ignore[union-attr]
    stop.set()
    await asyncio.wait({left})
    await coord.aclose()
