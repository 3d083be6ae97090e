"""What the installed livekit-agents can do, and what a start is refused when it cannot."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import attrs
import pytest
from livekit import rtc
from livekit.agents import JobContext

from session_fsm import DirectoryExporter, SessionCoordinator, SessionLifecycleError, SessionState
from session_fsm._adapters import agents
from session_fsm._adapters.capabilities import (
    ABSENT,
    CAPABILITIES,
    PRESENT,
    REQUIRED,
    Capabilities,
)
from session_fsm._adapters.room import (
    CHAT_TOPIC,
    CLIENT_REQUEST_TOPIC,
    HOST_TOPIC,
    RoomTopics,
)
from session_fsm._runtime import coordinator as coordinator_module
from session_fsm._runtime import effects as effects_module

from .conftest import agent, needs, new_session


def test_the_installed_livekit_has_what_the_library_needs() -> None:
    """With a primary designation (1.3+), what the library needs to manage it; before 1.3
    there is none, and the library works without (its own scope ownership)."""
    assert Capabilities.detect() == CAPABILITIES
    if CAPABILITIES.primary_designation:
        assert [name for name in REQUIRED if not getattr(CAPABILITIES, name)] == []
    else:
        assert not CAPABILITIES.session_host and not CAPABILITIES.session_recording


@needs("primary_designation")
@pytest.mark.parametrize("missing", REQUIRED)
async def test_a_livekit_without_a_required_feature_refuses_every_start(
    missing: str, monkeypatch: pytest.MonkeyPatch, offline_room: rtc.Room
) -> None:
    older = attrs.evolve(CAPABILITIES, **{missing: False})
    monkeypatch.setattr(coordinator_module, "CAPABILITIES", older)
    coord = SessionCoordinator.for_room(offline_room)
    with pytest.raises(SessionLifecycleError) as caught:
        await coord.start(new_session(), agent(), name="s")
    assert caught.value.code == "unsupported_by_livekit" and missing in caught.value.message
    assert coord.sessions() == {} and agents.byte_stream_topics(offline_room) == []


@needs("session_host")
async def test_host_false_needs_session_host_opt_out(
    monkeypatch: pytest.MonkeyPatch, offline_room: rtc.Room
) -> None:
    # livekit-agents 1.5: a session host, and no session_host= to decline it
    older = attrs.evolve(CAPABILITIES, session_host=True, client_events=False, host_opt_out=False)
    monkeypatch.setattr(coordinator_module, "CAPABILITIES", older)
    coord = SessionCoordinator.for_room(offline_room)
    with pytest.raises(SessionLifecycleError) as caught:
        await coord.start(new_session(), agent(), host=False, name="s")
    assert caught.value.code == "unsupported_by_livekit" and "session_host" in caught.value.message
    assert coord.sessions() == {}


def test_start_keywords_follow_the_installed_version() -> None:
    recording = attrs.evolve(CAPABILITIES, session_recording=True)
    assert attrs.evolve(recording, host_opt_out=True).start_kwargs(record=True, host=False) == {
        "record": True,
        "session_host": False,
    }
    assert attrs.evolve(recording, host_opt_out=False).start_kwargs(record=True, host=True) == {
        "record": True
    }
    before_1_3 = attrs.evolve(CAPABILITIES, session_recording=False, host_opt_out=False)
    assert before_1_3.start_kwargs(record=False, host=False) == {}


#: livekit-agents 1.0 to 1.2, as far as starting a session goes.
WITHOUT_DESIGNATION = {
    "primary_designation": False,
    "primary_reentrant": False,
    "session_recording": False,
    "session_host": False,
    "client_events": False,
    "host_opt_out": False,
}


@pytest.mark.parametrize(
    ("asked", "missing"),
    [("record", "session_recording"), ("exporter", "session_recording"), ("host", "session_host")],
)
async def test_without_designation_what_needs_recording_or_a_host_is_refused(
    asked: str,
    missing: str,
    monkeypatch: pytest.MonkeyPatch,
    offline_room: rtc.Room,
    offline_job: JobContext,
    tmp_path: Path,
) -> None:
    """livekit-agents before 1.3 (simulated on the installed one): the start is refused with
    `unsupported_by_livekit` naming the missing capability, and nothing changes."""
    older = attrs.evolve(CAPABILITIES, **WITHOUT_DESIGNATION)
    monkeypatch.setattr(coordinator_module, "CAPABILITIES", older)
    coord = SessionCoordinator.for_job(offline_job)
    choices: dict[str, dict[str, Any]] = {
        "record": {"record": True},
        "exporter": {"exporter": DirectoryExporter(tmp_path)},
        "host": {"host": True},
    }
    options = choices[asked]
    with pytest.raises(SessionLifecycleError) as caught:
        await coord.start(new_session(), agent(), name="s", **options)
    assert caught.value.code == "unsupported_by_livekit" and missing in caught.value.message
    assert coord.sessions() == {} and agents.byte_stream_topics(offline_room) == []
    assert agents.text_stream_topics(offline_room) == []


def test_every_capability_says_what_its_absence_or_presence_means() -> None:
    assert set(ABSENT) | set(PRESENT) == set(attrs.fields_dict(Capabilities))
    assert not set(ABSENT) & set(PRESENT)


@needs("session_host")
async def test_without_host_opt_out_a_secondary_is_kept_from_hosting_by_a_stand_in(
    monkeypatch: pytest.MonkeyPatch, offline_room: rtc.Room, offline_job: JobContext
) -> None:
    """livekit-agents 1.5's way, on the installed livekit: no `session_host=` is passed, and
    livekit would host every session started while the designation is free."""
    older = attrs.evolve(CAPABILITIES, host_opt_out=False)
    for module in (agents, effects_module):
        monkeypatch.setattr(module, "CAPABILITIES", older)
    coord = SessionCoordinator.for_job(offline_job)
    lone, primary, other = new_session(), new_session(), new_session()
    assert await coord.start(lone, agent(), role="secondary", name="lone") is SessionState.SECONDARY
    assert agents.job_primary(offline_job) is None  # the stand-in is gone again
    assert HOST_TOPIC not in agents.byte_stream_topics(offline_room)
    assert await coord.start(primary, agent(), name="p") is SessionState.PRIMARY
    assert await coord.start(other, agent(), name="o") is SessionState.SECONDARY
    assert agents.byte_stream_topics(offline_room).count(HOST_TOPIC) == 1
    assert RoomTopics.of(offline_room).owner(HOST_TOPIC) == "p"
    assert agents.job_primary(offline_job) is primary and coord.violations() == []
    await coord.aclose()
    assert agents.byte_stream_topics(offline_room) == []


async def test_host_true_needs_a_livekit_with_a_host(
    monkeypatch: pytest.MonkeyPatch, offline_room: rtc.Room
) -> None:
    older = attrs.evolve(CAPABILITIES, session_host=False, client_events=False)  # 1.3
    monkeypatch.setattr(coordinator_module, "CAPABILITIES", older)
    coord = SessionCoordinator.for_room(offline_room)
    with pytest.raises(SessionLifecycleError) as caught:
        await coord.start(new_session(), agent(), host=True, name="s")
    assert caught.value.code == "unsupported_by_livekit" and "session host" in caught.value.message
    assert coord.sessions() == {} and agents.byte_stream_topics(offline_room) == []


client_events = pytest.mark.skipif(
    not CAPABILITIES.client_events, reason="only livekit-agents 1.4 has client-events handlers"
)


@client_events
async def test_only_the_hosts_client_events_handler_starts(
    offline_room: rtc.Room, offline_job: JobContext
) -> None:
    """livekit-agents 1.4 gives every session with a Room a client-events handler; a second
    one would take the first one's RPC methods and remove them at its close."""
    coord = SessionCoordinator.for_job(offline_job)
    primary, secondary = new_session(), new_session()
    assert await coord.start(primary, agent(), name="p") is SessionState.PRIMARY
    assert await coord.start(secondary, agent(), name="s") is SessionState.SECONDARY
    assert agents.has_host(primary) and not agents.has_host(secondary)
    kept: Any = secondary._client_events_handler  # type: ignore[attr-defined]
    assert kept is not None and not kept._started  # livekit made it; it registered nothing
    assert agents.text_stream_topics(offline_room) == [CLIENT_REQUEST_TOPIC, CHAT_TOPIC]
    assert RoomTopics.of(offline_room).owner(CLIENT_REQUEST_TOPIC) == "p"
    # an unconnected Room's participant cannot take RPC methods: the host registered none
    assert offline_room.local_participant._rpc_handlers == {}
    await coord.close(primary)
    assert agents.text_stream_topics(offline_room) == []
    assert await coord.promote(secondary) is SessionState.PRIMARY
    assert agents.has_host(secondary) and kept._started
    assert agents.text_stream_topics(offline_room) == [CLIENT_REQUEST_TOPIC]
    assert RoomTopics.of(offline_room).owner(CLIENT_REQUEST_TOPIC) == "s"
    assert coord.violations() == []
    await coord.aclose()
    assert agents.text_stream_topics(offline_room) == [] and not kept._started


@client_events
async def test_a_session_started_directly_with_livekit_keeps_livekits_client_events(
    offline_room: rtc.Room,
) -> None:
    """The handler class the adapter puts in livekit's place changes nothing for a session the
    library does not start: livekit 1.4's own start on an unconnected Room fails as it does
    without the library, at its RPC registration."""
    with agents.client_events(new_session(), host=True):  # puts the class in place
        pass
    bare = new_session()
    with pytest.raises(AssertionError):
        await bare.start(agent(), room=offline_room)
    handler: Any = bare._client_events_handler  # type: ignore[attr-defined]
    assert type(handler).__name__ == "ManagedClientEvents" and handler._started
    assert CLIENT_REQUEST_TOPIC not in agents.text_stream_topics(offline_room)  # never reached
    await agents.undo_partial_start(bare)


@pytest.mark.skipif(
    CAPABILITIES.primary_reentrant or not CAPABILITIES.primary_designation,
    reason="this livekit-agents keeps a claim, or has no designation",
)
async def test_no_start_runs_while_a_primarys_designation_is_freed_for_livekit(
    offline_job: JobContext,
) -> None:
    """livekit-agents 1.3 and 1.4 take only a free designation: the adapter frees the claimed
    one for the primary's start, and another start of the job waits until livekit took it."""
    primary, other = new_session(), new_session()
    agents.set_job_primary(offline_job, primary)  # the library's claim
    seen: list[tuple[str, object]] = []
    freed, go = asyncio.Event(), asyncio.Event()

    async def start_primary() -> None:
        async with agents.taking_designation(offline_job, primary):
            seen.append(("primary", agents.job_primary(offline_job)))
            freed.set()
            await go.wait()
            agents.set_job_primary(offline_job, primary)  # what livekit's start does with it

    async def start_other() -> None:
        await freed.wait()
        go.set()
        async with agents.taking_designation(offline_job, other):
            seen.append(("other", agents.job_primary(offline_job)))

    await asyncio.gather(start_primary(), start_other())
    assert seen == [("primary", None), ("other", primary)]
