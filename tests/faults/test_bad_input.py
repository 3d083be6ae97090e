"""Bad input to every public entry point: a clear error, and nothing changed."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from livekit import rtc
from livekit.agents import JobContext
from livekit.agents.voice.room_io import RoomOptions

from session_fsm import (
    DirectoryExporter,
    HttpPutExporter,
    LegacyRoomOptions,
    Scope,
    SessionCoordinator,
    SessionLifecycleError,
)
from session_fsm._adapters import agents
from session_fsm.fsm import compensate
from session_fsm.testing import (
    Fault,
    cancel_at,
    core_machine,
    events,
    inject,
    join,
    leave,
    offline_job,
    offline_room,
    real_violations,
    run_job_shutdown,
    scenarios,
    start_events,
)

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


#: (case, call, expected error type, error code, text the message must contain)
CASES: list[tuple[str, Call, type[BaseException], str, str]] = [
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
    (
        "start: not an AgentSession",
        start(session=object()),
        SessionLifecycleError,
        "invalid_input",
        "AgentSession",
    ),
    (
        "start: not an Agent",
        start(agent="agent"),
        SessionLifecycleError,
        "invalid_input",
        "'newcomer'",
    ),
    (
        "start: record not a bool",
        start(record="yes"),
        SessionLifecycleError,
        "invalid_input",
        "record must be",
    ),
    (
        "start: host not a bool",
        start(host=1),
        SessionLifecycleError,
        "invalid_input",
        "host must be",
    ),
    (
        "start: garbage exporter",
        start(exporter=42),
        SessionLifecycleError,
        "invalid_input",
        "not a recording exporter",
    ),
    (
        "start: room_options wrong",
        start(room_options={"a": 1}),
        SessionLifecycleError,
        "invalid_input",
        "RoomOptions",
    ),
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
    (
        "promote: not an AgentSession",
        on("promote", "junk"),
        SessionLifecycleError,
        "invalid_input",
        "AgentSession",
    ),
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
        SessionLifecycleError,
        "invalid_input",
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
    code: str,
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
    assert getattr(caught.value, "code", None) == code
    assert state_of(coordinator) == before
    await other.aclose()


@pytest.mark.parametrize(
    ("make", "error", "text"),
    [
        (lambda: SessionCoordinator(job="job"), SessionLifecycleError, "JobContext"),  # type: ignore[arg-type]
        (lambda: SessionCoordinator(room=object()), SessionLifecycleError, "rtc.Room"),  # type: ignore[arg-type]
        (lambda: SessionCoordinator(claim_timeout=-1), SessionLifecycleError, "claim_timeout"),
        (lambda: SessionCoordinator(effect_timeout="1"), SessionLifecycleError, "effect_timeout"),  # type: ignore[arg-type]
        (lambda: SessionCoordinator.for_job(None), SessionLifecycleError, "JobContext"),  # type: ignore[arg-type]
        (lambda: SessionCoordinator.for_room("room"), SessionLifecycleError, "rtc.Room"),  # type: ignore[arg-type]
        (lambda: HttpPutExporter(), SessionLifecycleError, "exactly one"),
        (
            lambda: SessionCoordinator.for_room(rtc.Room(), claim_timout=1),
            SessionLifecycleError,
            "claim_timout",
        ),
        (lambda: HttpPutExporter("http://x", attempts=0), SessionLifecycleError, "attempts"),
        (lambda: Scope().handle("start"), SessionLifecycleError, "core event"),  # type: ignore[arg-type]
        (lambda: Scope().add(7), SessionLifecycleError, "str"),  # type: ignore[arg-type]
        (lambda: compensate([42]), SessionLifecycleError, "tuple of effects"),  # type: ignore[arg-type]
        (lambda: LegacyRoomOptions(input=42), SessionLifecycleError, "RoomInputOptions"),  # type: ignore[arg-type]
    ],
)
async def test_constructors_and_the_core_refuse_bad_values(
    make: Callable[[], object], error: type[BaseException], text: str
) -> None:
    with pytest.raises(error, match=text) as caught:
        make()
    assert caught.value.code == "invalid_input"  # type: ignore[attr-defined]


async def test_room_options_are_not_mutated(coordinator: SessionCoordinator) -> None:
    options = RoomOptions()
    await coordinator.start(new_session(), agent(), name="a")
    await coordinator.start(new_session(), agent(), name="b", room_options=options)
    assert options.text_input is not False  # the denied topic was switched off in a copy


def test_invalid_input_is_also_the_builtin_errors_it_replaced() -> None:
    """Handlers written for the TypeError and ValueError these checks raised before still catch
    it; the family and its code are the one way to tell it."""
    with pytest.raises(TypeError) as as_type:
        SessionCoordinator.for_room("room")  # type: ignore[arg-type]
    with pytest.raises(ValueError) as as_value:
        SessionCoordinator(claim_timeout=-1)
    for caught in (as_type, as_value):
        assert isinstance(caught.value, SessionLifecycleError)
        assert caught.value.code == "invalid_input"


def _scenario_error() -> object:
    from session_fsm._scenario import parse

    return parse({"steps": "none"})


def _docs_error(tmp_path: Path) -> object:
    from session_fsm._docs import generate

    (tmp_path / "state-machine.md").write_text("my own page\n")
    return generate(tmp_path)


def _hypothesis_draw(strategy: Any) -> object:
    """The composite's checks run at its first draw."""
    from hypothesis import HealthCheck, given, settings

    @settings(max_examples=1, database=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def draw(value: object) -> None:
        pass

    return draw()


KIT_AND_CLI: list[tuple[str, Callable[[Path], object], str]] = [
    ("offline_room: identity 7", lambda p: offline_room(local_identity=7), "identity"),  # type: ignore[arg-type]
    ("offline_job: room 'r'", lambda p: offline_job("r").__enter__(), "rtc.Room"),  # type: ignore[arg-type]
    ("offline_job: job_id ''", lambda p: offline_job(job_id="").__enter__(), "job_id"),
    ("join: room None", lambda p: join(None, "alice"), "rtc.Room"),  # type: ignore[arg-type]
    ("join: identity ''", lambda p: join(offline_room(), ""), "identity"),
    ("leave: nobody", lambda p: leave(offline_room(), "alice"), "no participant 'alice'"),
    ("inject: not a coordinator", lambda p: inject("coord", lambda e: Fault.NONE), "inject"),  # type: ignore[arg-type]
    (
        "inject: decide not callable",
        lambda p: inject(SessionCoordinator.for_room(offline_room()), 42),  # type: ignore[arg-type]
        "decide",
    ),
    ("real_violations: not a coordinator", lambda p: real_violations("c", []), "Coordinator"),  # type: ignore[arg-type]
    ("cancel_at: k 0", lambda p: cancel_at(asyncio.sleep(0), 0), "k counts"),
    ("cancel_at: not a coroutine", lambda p: cancel_at(42, 1), "coroutine"),  # type: ignore[arg-type]
    ("core_machine: sessions 0", lambda p: core_machine(sessions=0), "sessions"),
    ("events: no keys", lambda p: events(()), "keys"),
    ("events: a str", lambda p: events("s1"), "keys"),
    ("start_events: key 7", lambda p: start_events(7), "key"),  # type: ignore[arg-type]
    ("scenarios: max_steps 0", lambda p: _hypothesis_draw(scenarios(max_steps=0)), "max_steps"),
    (
        "run_job_shutdown: not a job",
        lambda p: run_job_shutdown("job"),  # type: ignore[arg-type]
        "JobContext",
    ),
    ("diagram: unknown machine", lambda p: _render("sessions"), "unknown machine"),
    ("scenario: malformed", lambda p: _scenario_error(), "steps"),
    ("docs: a page it did not write", _docs_error, "--force"),
    (
        "HttpPutExporter: both urls",
        lambda p: HttpPutExporter("http://x", url_factory=str),
        "exactly one",
    ),
]


def _render(name: str) -> object:
    from session_fsm.fsm._diagram import render

    return render(name)  # type: ignore[arg-type]


@pytest.mark.parametrize(("case", "call", "text"), KIT_AND_CLI, ids=[c[0] for c in KIT_AND_CLI])
async def test_the_kit_and_the_cli_library_refuse_bad_values(
    tmp_path: Path, case: str, call: Callable[[Path], object], text: str
) -> None:
    with pytest.raises(SessionLifecycleError) as caught:
        result = call(tmp_path)
        if inspect.isawaitable(result):
            await result
    assert caught.value.code == "invalid_input"
    assert text in caught.value.message, caught.value.message


async def test_leave_of_a_stranger_changes_nothing(offline_room: rtc.Room) -> None:
    join(offline_room, "alice")
    with pytest.raises(SessionLifecycleError):
        leave(offline_room, "bob")
    assert sorted(offline_room.remote_participants) == ["alice"]


def test_a_lifecycle_machine_with_settings_out_of_range_is_refused() -> None:
    from session_fsm.testing import LifecycleMachine

    class NoSessions(LifecycleMachine):
        session_count = 0

    class NoTimeout(LifecycleMachine):
        effect_timeout = -1.0

    for machine, text in ((NoSessions, "session_count"), (NoTimeout, "effect_timeout")):
        with pytest.raises(SessionLifecycleError, match=text) as caught:
            machine()
        assert caught.value.code == "invalid_input"
