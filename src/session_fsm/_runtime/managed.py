"""What the runtime keeps per managed session: the objects the effects act on."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
from livekit import rtc
from livekit.agents import Agent, AgentSession

from .._adapters import roomio
from .._adapters.exporters import ExporterLike, ExportOutcome
from .._adapters.recorder import RecordingFile
from .._adapters.telemetry import SessionSpan
from ..fsm import _effects as fx


@attrs.define(eq=False)
class Managed:
    key: str
    session: AgentSession[Any]
    agent: Agent | None = None
    room: rtc.Room | None = None
    room_options: roomio.Options | None = None
    exporters: tuple[ExporterLike, ...] = ()
    #: The session's effects run one batch at a time, in the order they were asked for: a close
    #: waits for a drain's (or a start's) effects instead of cutting them.
    lane: asyncio.Lock = attrs.Factory(asyncio.Lock)
    #: Resolved with the granted start plan (or None if the wait ended without a grant).
    grant: asyncio.Future[tuple[fx.Effect, ...] | None] | None = None
    closed: asyncio.Event = attrs.Factory(asyncio.Event)
    #: The outcome of the start under way (a second start() of the session awaits it).
    starting: asyncio.Future[Any] | None = None
    #: Set once a close has released what the session shared (a background export may remain).
    released: asyncio.Event = attrs.Factory(asyncio.Event)
    #: The export that runs after the close released the scope; None when there is none.
    exporting: asyncio.Task[None] | None = None
    context: contextvars.Context | None = None
    span: SessionSpan | None = None
    recording_path: Path | None = None
    recording_started_at: float = 0.0
    recording: RecordingFile | None = None
    recordings: list[RecordingFile] = attrs.Factory(list)
    #: Each finished recording's export outcomes, by the recording's path.
    exports: dict[Path, list[ExportOutcome]] = attrs.Factory(dict)
    denied_topics: dict[str, str] = attrs.Factory(dict)
    #: Our listener on the session's `close` event, from a start until the coordinator closes the
    #: session itself (or forgets it).
    on_close: Callable[[Any], None] | None = None
