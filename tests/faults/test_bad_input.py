"""Bad input to every public entry point: a clear error, and nothing changed."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from livekit import rtc
from livekit.agents import JobContext
from livekit.agents.voice.room_io import RoomOptions

from session_fsm import (
    DirectoryExporter,
    HttpPutExporter,
    Scope,
    SessionCoordinator,
    SessionLifecycleError,
)
from session_fsm._adapters import agents

from ..integration.conftest import agent, new_session

Call = Callable[[SessionCoordinator, dict[str, Any]], Awaitable[object] | object]


def state_of(coord: SessionCoordinator) -> tuple[object, ...]:
    room, job = coord.room, coord.job
    assert room is not None and job is not None
    return (
        coord.scope.snapshot(),
        agents.byte_stream_topics(room),
        agents.text_stream_topics(room),
        agents.job_primary(job),
        sorted(coord.sessions()),
    )


def start(**options: Any) -> Call:
    async def call(coord: SessionCoordinator, env: dict[str, Any]) -> object:
        session = options.pop("session", None) or new_session()
        return await coord.start(session, options.pop("agent", agent()), name="newcomer", **options)

    return call


def on(method: str, target: str) -> Call:
    async def call(coord: SessionCoordinator, env: dict[str, Any]) -> object:
        return await getattr(coord, method)(env[target])

    return call


async def _name_clash(coord: SessionCoordinator, env: dict[str, Any]) -> object:
    return await coord.start(new_session(), agent(), name="holder")


async def _start_foreign(coord: SessionCoordinator, env: dict[str, Any]) -> object:
    return await coord.start(env["foreign"], agent())


#: (case, call, expected error type, error code or None, text the message must contain)
CASES: list[tuple[str, Call, type[BaseException], str | None, str]] = [
    (
        "start: unknown role",
        start(role="boss"),
        SessionLifecycleError,
        "invalid_input",
        "'newcomer'",
    ),
    (
        "start: role of the wrong type",
        start(role=3),
        SessionLifecycleError,
        "invalid_input",
        "unknown role",
    ),
    ("start: not an AgentSession", start(session=object()), TypeError, None, "AgentSession"),
    ("start: not an Agent", start(agent="agent"), TypeError, None, "'newcomer'"),
    ("start: record not a bool", start(record="yes"), TypeError, None, "record must be"),
    ("start: host not a bool", start(host=1), TypeError, None, "host must be"),
    ("start: garbage exporter", start(exporter=42), TypeError, None, "not a recording exporter"),
    ("start: room_options wrong", start(room_options={"a": 1}), TypeError, None, "RoomOptions"),
    (
        "start: claim_timeout <= 0",
        start(claim_timeout=0),
        SessionLifecycleError,
        "invalid_input",
        "claim_timeout",
    ),
    (
        "start: primary conflict",
        start(role="primary"),
        SessionLifecycleError,
        "primary_conflict",
        "'holder'",
    ),
    (
        "start: record on a secondary",
        start(record=True),
        SessionLifecycleError,
        "recording_requires_primary",
        "'newcomer'",
    ),
    (
        "start: exporter on a secondary",
        start(exporter=DirectoryExporter("/tmp/x")),
        SessionLifecycleError,
        "exporter_requires_primary",
        "'newcomer'",
    ),
    (
        "start: a name already taken",
        _name_clash,
        SessionLifecycleError,
        "invalid_input",
        "already named",
    ),
    (
        "start: another coordinator's session",
        _start_foreign,
        SessionLifecycleError,
        "invalid_input",
        "another coordinator",
    ),
    (
        "close: unmanaged session",
        on("close", "stranger"),
        SessionLifecycleError,
        "invalid_input",
        "no coordinator",
    ),
    (
        "drain: another coordinator's session",
        on("drain", "foreign"),
        SessionLifecycleError,
        "invalid_input",
        "another coordinator",
    ),
    (
        "promote: the primary is held",
        on("promote", "secondary"),
        SessionLifecycleError,
        "primary_conflict",
        "'holder'",
    ),
    ("promote: not an AgentSession", on("promote", "junk"), TypeError, None, "AgentSession"),
    (
        "state: unmanaged",
        lambda c, e: c.state(e["stranger"]),
        SessionLifecycleError,
        "invalid_input",
        "start it with this coordinator",
    ),
    (
        "recording_path: unmanaged",
        lambda c, e: c.recording_path(e["stranger"]),
        SessionLifecycleError,
        "invalid_input",
        "no coordinator",
    ),
    (
        "per_participant: not callable",
        lambda c, e: c.per_participant(42),  # type: ignore[arg-type]
        TypeError,
        None,
        "callable",
    ),
]


@pytest.mark.parametrize(
    ("case", "call", "error", "code", "text"), CASES, ids=[c[0] for c in CASES]
)
async def test_bad_input_is_refused_and_changes_nothing(
    coordinator: SessionCoordinator,
    offline_job: JobContext,
    case: str,
    call: Call,
    error: type[BaseException],
    code: str | None,
    text: str,
) -> None:
    await coordinator.start(new_session(), agent(), name="holder")
    secondary = new_session()
    await coordinator.start(secondary, agent(), name="secondary")
    other = SessionCoordinator.for_room(rtc.Room())
    foreign = new_session()
    await other.start(foreign, agent(), name="elsewhere")  # managed by another coordinator
    env = {"stranger": new_session(), "foreign": foreign, "secondary": secondary, "junk": "x"}
    before = state_of(coordinator)
    with pytest.raises(error) as caught:
        result = call(coordinator, env)
        if inspect.isawaitable(result):
            await result
    assert text in str(caught.value), str(caught.value)
    if code is not None:
        assert getattr(caught.value, "code", None) == code
    assert state_of(coordinator) == before
    await other.aclose()


@pytest.mark.parametrize(
    ("make", "error", "text"),
    [
        (lambda: SessionCoordinator(job="job"), TypeError, "JobContext"),  # type: ignore[arg-type]
        (lambda: SessionCoordinator(room=object()), TypeError, "rtc.Room"),  # type: ignore[arg-type]
        (lambda: SessionCoordinator(claim_timeout=-1), SessionLifecycleError, "claim_timeout"),
        (lambda: SessionCoordinator(effect_timeout="1"), SessionLifecycleError, "effect_timeout"),  # type: ignore[arg-type]
        (lambda: SessionCoordinator.for_job(None), TypeError, "JobContext"),  # type: ignore[arg-type]
        (lambda: SessionCoordinator.for_room("room"), TypeError, "rtc.Room"),  # type: ignore[arg-type]
        (lambda: HttpPutExporter(), TypeError, "exactly one"),
        (lambda: HttpPutExporter("http://x", attempts=0), SessionLifecycleError, "attempts"),
        (lambda: Scope().handle("start"), TypeError, "core event"),  # type: ignore[arg-type]
        (lambda: Scope().add(7), TypeError, "str"),  # type: ignore[arg-type]
    ],
)
async def test_constructors_and_the_core_refuse_bad_values(
    make: Callable[[], object], error: type[BaseException], text: str
) -> None:
    with pytest.raises(error, match=text):
        make()


async def test_room_options_are_not_mutated(coordinator: SessionCoordinator) -> None:
    options = RoomOptions()
    await coordinator.start(new_session(), agent(), name="a")
    await coordinator.start(new_session(), agent(), name="b", room_options=options)
    assert options.text_input is not False  # the denied topic was switched off in a copy
