"""Recordings that leave the box: the real RecorderIO, real files, a real local HTTP server."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from session_fsm import (
    DirectoryExporter,
    HttpPutExporter,
    RecordingExportResult,
    RecordingInfo,
    SessionCoordinator,
    SessionLifecycleError,
)
from session_fsm._adapters.capabilities import CAPABILITIES
from session_fsm._adapters.exporters import run_exporters

from .conftest import ObjectStore, agent, needs, new_session, session_lasts, toned


def agent_spans(spans: InMemorySpanExporter, name: str) -> list[dict[str, object]]:
    return [
        dict(s.attributes or {})
        for s in spans.get_finished_spans()
        if s.name == "agent_session" and (s.attributes or {}).get("lk.session.name") == name
    ]


@needs("session_recording")
async def test_sequential_primaries_each_record_export_once_and_link_their_span(
    coordinator: SessionCoordinator, span_exporter: InMemorySpanExporter, tmp_path: Path
) -> None:
    exported = tmp_path / "exported"
    names = ["first", "second", "third"]
    for i, name in enumerate(names):
        session, tone = toned(300.0 + 100 * i)
        exporter = DirectoryExporter(exported)
        await coordinator.start(session, agent(), record=True, exporter=exporter, name=name)
        await session_lasts(tone)
        await coordinator.close(session, wait_export=True)
        [outcome] = coordinator.exports(session)
        assert outcome.error is None and outcome.exporter == "directory"
        path = coordinator.recording_path(session)
        assert path is not None and path.read_bytes()[:4] == b"OggS"
        assert outcome.id == hashlib.sha256(path.read_bytes()).hexdigest()
        [span] = agent_spans(span_exporter, name)
        assert span["lk.recording_id"] == outcome.id
        assert span["lk.recording_url"] == outcome.url
        assert "lk.recording_path" not in span  # raw local paths are never emitted by default
    files = sorted(p.name for p in exported.iterdir())
    assert len(files) == 3 and all(f.endswith(".ogg") for f in files)  # no temp files left


async def test_directory_export_is_a_complete_content_addressed_copy(tmp_path: Path) -> None:
    source = tmp_path / "audio.ogg"
    source.write_bytes(b"OggS" + bytes(range(256)) * 40)
    info = RecordingInfo("s", "s#1", "room", "job", source, 1.0, 2.5, source.stat().st_size)
    [outcome] = await run_exporters((DirectoryExporter(tmp_path / "out"),), info, 5.0)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    target = tmp_path / "out" / f"{digest}.ogg"
    assert outcome.id == digest and outcome.url == target.as_uri()
    assert target.read_bytes() == source.read_bytes()
    assert info.duration == 1.5


async def test_http_put_retries_strips_the_query_and_returns_the_etag(
    object_store: ObjectStore, tmp_path: Path
) -> None:
    source = tmp_path / "audio.ogg"
    source.write_bytes(b"OggS" + b"x" * 5000)
    info = RecordingInfo("voice", "voice#1", "room", "job", source, 0.0, 1.0, 5004)
    flaky = HttpPutExporter(
        object_store.url + "/flaky/{session}.ogg?X-Amz-Signature=secret", backoff=0.01
    )
    failing = HttpPutExporter(object_store.url + "/fail/{session}.ogg", attempts=3, backoff=0.01)
    ok, bad = await run_exporters((flaky, failing), info, 5.0)
    assert ok.error is None and ok.url == object_store.url + "/flaky/voice.ogg"
    assert ok.id == hashlib.md5(source.read_bytes()).hexdigest()
    assert object_store.objects["flaky/voice.ogg"] == source.read_bytes()
    assert object_store.attempts["flaky/voice.ogg"] == 3
    assert bad.error is not None and "after 3 attempts" in bad.error
    assert object_store.attempts["fail/voice.ogg"] == 3


async def test_http_put_template_quotes_the_fields_it_puts_in_the_url(
    object_store: ObjectStore, tmp_path: Path
) -> None:
    """A session id's `#` would start the URL's fragment: the PUT would go to `/keys/voice` and
    the span would name that object. Quoted, the object keeps its whole name."""
    source = tmp_path / "audio.ogg"
    source.write_bytes(b"OggS" + b"x" * 100)
    info = RecordingInfo("voice", "voice#1", "room/a", "job", source, 0.0, 1.0, 104)
    exporter = HttpPutExporter(object_store.url + "/keys/{room}-{session_id}.ogg")
    [outcome] = await run_exporters((exporter,), info, 5.0)
    assert outcome.error is None
    assert outcome.url == object_store.url + "/keys/room%2Fa-voice%231.ogg"
    assert object_store.objects["keys/room/a-voice#1.ogg"] == source.read_bytes()


@needs("session_recording")
async def test_a_hanging_exporter_is_cut_at_its_timeout_and_others_keep_their_results(
    offline_job: object,
    object_store: ObjectStore,
    span_exporter: InMemorySpanExporter,
    tmp_path: Path,
) -> None:
    coord = SessionCoordinator(job=offline_job, export_timeout=0.2)  # type: ignore[arg-type]
    session, tone = toned()
    stalled = HttpPutExporter(object_store.url + "/stall/{session}.ogg")
    await coord.start(
        session, agent(), record=True, exporter=[stalled, DirectoryExporter(tmp_path)], name="v"
    )
    await session_lasts(tone)
    await asyncio.wait_for(coord.close(session, wait_export=True), 5.0)  # export_timeout
    hung, copied = coord.exports(session)
    assert hung.error == "timed out after 0.2s" and copied.error is None
    [span] = [s for s in span_exporter.get_finished_spans() if s.name == "agent_session"]
    assert (span.attributes or {})["lk.recording_id"] == copied.id
    assert span.status.status_code.name == "ERROR"
    assert any(e.name == "exception" for e in span.events)


@needs("session_recording")
async def test_exporter_failures_and_garbage_are_recorded_not_raised(
    coordinator: SessionCoordinator, span_exporter: InMemorySpanExporter
) -> None:
    async def raises(info: RecordingInfo) -> RecordingExportResult:
        raise ConnectionError("storage is down")

    async def garbage(info: RecordingInfo) -> RecordingExportResult:
        return "https://example.invalid/x"  # type: ignore[return-value]

    async def typed_wrong(info: RecordingInfo) -> RecordingExportResult:
        return RecordingExportResult(url=42)  # type: ignore[arg-type]

    async def with_path(info: RecordingInfo) -> RecordingExportResult:
        return RecordingExportResult(
            url="https://user:pw@store.example/rec.ogg?sig=1", path=str(info.path)
        )

    session, tone = toned()
    await coordinator.start(
        session, agent(), record=True, exporter=[raises, garbage, typed_wrong, with_path], name="v"
    )
    await session_lasts(tone)
    await coordinator.close(session, wait_export=True)
    errors = [o.error for o in coordinator.exports(session)]
    assert errors[0] == "ConnectionError: storage is down"
    assert errors[1] is not None and "expected RecordingExportResult" in errors[1]
    assert errors[2] is not None and "url must be str" in errors[2]
    assert errors[3] is None
    [span] = agent_spans(span_exporter, "v")
    assert span["lk.recording_url"] == "https://store.example/rec.ogg"  # no userinfo, no query
    assert span["lk.recording_path"] == str(coordinator.recording_path(session))


async def test_exporters_need_a_primary_and_a_recording(coordinator: SessionCoordinator) -> None:
    await coordinator.start(new_session(), agent(), name="voice")
    with pytest.raises(SessionLifecycleError) as caught:
        await coordinator.start(new_session(), agent(), exporter=DirectoryExporter("/tmp/x"))
    # before livekit-agents 1.3 no exporter can run at all (no session recording)
    assert caught.value.code == (
        "exporter_requires_primary" if CAPABILITIES.session_recording else "unsupported_by_livekit"
    )
    with pytest.raises(TypeError, match="not a recording exporter"):
        await coordinator.start(new_session(), agent(), exporter="s3://bucket")  # type: ignore[arg-type]
