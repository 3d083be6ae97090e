"""Constructors meet hostile input (types, numbers that are not numbers, odd strings) with the
error family (`invalid_input`), a clear message, and nothing changed."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
from livekit import rtc
from livekit.agents import JobContext

from session_fsm import (
    DirectoryExporter,
    HttpPutExporter,
    SessionCoordinator,
    SessionLifecycleError,
)
from session_fsm._adapters import agents
from session_fsm._runtime import ParticipantSession

from ..integration.conftest import agent, new_session

HOSTILE_EXPORTERS: list[tuple[str, Callable[[], object], str]] = [
    ("attempts NaN", lambda: HttpPutExporter("http://x", attempts=math.nan), "attempts"),  # type: ignore[arg-type]
    ("attempts True", lambda: HttpPutExporter("http://x", attempts=True), "attempts"),
    ("attempts 2.5", lambda: HttpPutExporter("http://x", attempts=2.5), "attempts"),  # type: ignore[arg-type]
    ("backoff NaN", lambda: HttpPutExporter("http://x", backoff=math.nan), "backoff"),
    ("backoff -1", lambda: HttpPutExporter("http://x", backoff=-1), "backoff"),
    ("backoff inf", lambda: HttpPutExporter("http://x", backoff=math.inf), "backoff"),
    ("timeout 0", lambda: HttpPutExporter("http://x", request_timeout=0), "request_timeout"),
    ("timeout str", lambda: HttpPutExporter("http://x", request_timeout="5"), "request_timeout"),  # type: ignore[arg-type]
    ("template bytes", lambda: HttpPutExporter(b"http://x"), "url_template"),  # type: ignore[arg-type]
    ("factory 42", lambda: HttpPutExporter(url_factory=42), "url_factory"),  # type: ignore[arg-type]
    ("headers bytes", lambda: HttpPutExporter("http://x", headers={"a": b"b"}), "headers"),  # type: ignore[dict-item]
    ("root 42", lambda: DirectoryExporter(42), "root"),  # type: ignore[arg-type]
    ("root empty", lambda: DirectoryExporter(""), "root"),
    ("root NUL", lambda: DirectoryExporter("a\0b"), "root"),
]


@pytest.mark.parametrize(
    ("case", "make", "text"), HOSTILE_EXPORTERS, ids=[c[0] for c in HOSTILE_EXPORTERS]
)
def test_exporter_constructors_refuse_hostile_values(
    case: str, make: Callable[[], object], text: str
) -> None:
    with pytest.raises(SessionLifecycleError) as caught:
        make()
    assert caught.value.code == "invalid_input" and text in caught.value.message


async def test_fanout_and_its_factory_value_refuse_hostile_input(
    coordinator: SessionCoordinator, offline_room: rtc.Room, offline_job: JobContext
) -> None:
    before = (coordinator.scope.snapshot(), agents.byte_stream_topics(offline_room))
    with pytest.raises(SessionLifecycleError, match="ParticipantKind") as caught:
        coordinator.per_participant(lambda p: None, kinds=["standard"])  # type: ignore[list-item]
    assert caught.value.code == "invalid_input"
    with pytest.raises(SessionLifecycleError, match="ParticipantKind") as caught:
        coordinator.per_participant(lambda p: None, kinds=42)  # type: ignore[arg-type]
    assert caught.value.code == "invalid_input"
    with pytest.raises(SessionLifecycleError, match="callable") as caught:
        coordinator.per_participant(42)  # type: ignore[arg-type]
    assert caught.value.code == "invalid_input"
    assert (coordinator.scope.snapshot(), agents.byte_stream_topics(offline_room)) == before
    with pytest.raises(SessionLifecycleError, match="agent") as caught:
        ParticipantSession(new_session(), "agent")  # type: ignore[arg-type]
    assert caught.value.code == "invalid_input"
    with pytest.raises(SessionLifecycleError, match="room_options") as caught:
        ParticipantSession(new_session(), agent(), room_options={"audio_output": False})  # type: ignore[arg-type]
    assert caught.value.code == "invalid_input"


@pytest.mark.parametrize(
    "options",
    [{"wait_export": "yes"}, {"wait_export": 1}],
    ids=repr,
)
async def test_close_refuses_hostile_flags(
    coordinator: SessionCoordinator, options: dict[str, Any]
) -> None:
    s = new_session()
    await coordinator.start(s, agent(), name="s")
    with pytest.raises(SessionLifecycleError, match="wait_export") as caught:
        await coordinator.close(s, **options)
    assert caught.value.code == "invalid_input"
    assert coordinator.violations() == []
