"""Real AgentSessions in one job: the designation, the room's handlers, handoffs and races."""

from __future__ import annotations

import asyncio

import pytest
from livekit import rtc
from livekit.agents import JobContext

from session_fsm import OwnershipState, SessionCoordinator, SessionLifecycleError, SessionState
from session_fsm._adapters import agents
from session_fsm._adapters.capabilities import CAPABILITIES
from session_fsm._adapters.room import CHAT_TOPIC, HOST_TOPIC, PRE_CONNECT_TOPIC, RoomTopics
from session_fsm.fsm import _effects as fx
from session_fsm.fsm.errors import StartFailedError
from session_fsm.testing._cancel import cancel_at
from session_fsm.testing._faults import Fault, inject
from session_fsm.testing._offline import run_job_shutdown

from .conftest import (
    agent,
    bare_room,
    designated,
    hosts,
    needs,
    new_session,
    session_lasts,
    start_waits,
    toned,
    with_host,
)


def handlers(room: rtc.Room) -> tuple[list[str], list[str]]:
    return agents.byte_stream_topics(room), agents.text_stream_topics(room)


async def test_five_secondaries_beside_one_primary_share_one_host_handler(
    coordinator: SessionCoordinator, offline_room: rtc.Room, offline_job: JobContext
) -> None:
    primary = new_session()
    assert await coordinator.start(primary, agent(), name="host") is SessionState.PRIMARY
    secondaries = [new_session() for _ in range(5)]
    for i, s in enumerate(secondaries):
        assert await coordinator.start(s, agent(), name=f"t{i}") is SessionState.SECONDARY
    assert handlers(offline_room) == with_host([PRE_CONNECT_TOPIC], [CHAT_TOPIC])
    hosted = {HOST_TOPIC: "host"} if CAPABILITIES.hosting else {}
    assert RoomTopics.of(offline_room).owners == {
        **hosted,
        PRE_CONNECT_TOPIC: "host",
        CHAT_TOPIC: "host",
    }
    assert designated(offline_job) is primary
    assert coordinator.denied_topics(secondaries[0]) == {
        PRE_CONNECT_TOPIC: "host",
        CHAT_TOPIC: "host",
    }
    # livekit 1.0 to 1.8.9 lets a closing secondary remove the primary's pre-connect handler
    await coordinator.close(secondaries[0])
    assert handlers(offline_room) == with_host([PRE_CONNECT_TOPIC], [CHAT_TOPIC])
    assert coordinator.violations() == []
    await coordinator.aclose()
    assert handlers(offline_room) == ([], [])
    assert agents.job_primary(offline_job) is None
    assert coordinator.ownership is OwnershipState.VACANT


@needs("session_recording")
async def test_record_false_then_record_true_back_to_back(
    coordinator: SessionCoordinator, offline_job: JobContext
) -> None:
    first, (second, tone) = new_session(), toned()
    assert await coordinator.start(first, agent(), record=False) is SessionState.PRIMARY
    await coordinator.drain(first)
    await coordinator.close(first)
    # no delay: livekit 1.8.9 raises "Only one `AgentSession` can be the primary at a time" here
    assert await coordinator.start(second, agent(), record=True) is SessionState.PRIMARY
    assert agents.job_primary(offline_job) is second and coordinator.primary is second
    path = coordinator.recording_path(second)
    assert path is not None and path.name == "audio.ogg"
    await session_lasts(tone)
    await coordinator.close(second)
    assert path.read_bytes()[:4] == b"OggS"
    assert agents.job_primary(offline_job) is None


@needs("session_recording")
async def test_sequential_primaries_record_to_their_own_files(
    coordinator: SessionCoordinator,
) -> None:
    paths = []
    for _ in range(3):
        s, tone = toned()
        await coordinator.start(s, agent(), record=True)
        await session_lasts(tone)
        await coordinator.close(s)
        path = coordinator.recording_path(s)
        assert path is not None
        paths.append(path)
    assert len(set(paths)) == 3
    assert all(p.read_bytes()[:4] == b"OggS" for p in paths)


@start_waits
async def test_close_racing_start_never_errors(
    coordinator: SessionCoordinator, offline_room: rtc.Room
) -> None:
    s = new_session()
    started, closed = await asyncio.gather(coordinator.start(s, agent()), coordinator.close(s))
    assert closed is SessionState.CLOSED and started is SessionState.CLOSED
    assert handlers(offline_room) == ([], [])
    assert coordinator.violations() == []


async def test_a_start_waits_for_the_releasing_primary_then_takes_over(
    coordinator: SessionCoordinator, offline_job: JobContext
) -> None:
    a, b = new_session(), new_session()
    await coordinator.start(a, agent(), name="a")
    closing = asyncio.ensure_future(coordinator.close(a))
    await asyncio.sleep(0)  # let the close begin: the scope is releasing
    assert coordinator.ownership is OwnershipState.RELEASING
    record = True if CAPABILITIES.session_recording else None  # (none before 1.3)
    state = await coordinator.start(b, agent(), role="primary", record=record, name="b")
    assert state is SessionState.PRIMARY and await closing is SessionState.CLOSED
    assert designated(offline_job) is b


async def test_primary_conflict_names_the_holder(coordinator: SessionCoordinator) -> None:
    await coordinator.start(new_session(), agent(), name="voice")
    with pytest.raises(SessionLifecycleError) as caught:
        await coordinator.start(new_session(), agent(), role="primary", name="other")
    assert caught.value.code == "primary_conflict" and "'voice'" in caught.value.message
    assert "other" not in coordinator.sessions()


@start_waits
@pytest.mark.parametrize("scenario", ["vacant", "secondary", "waiting", "promotion"])
async def test_cancellation_at_every_await_leaves_nothing_held(
    coordinator: SessionCoordinator, offline_room: rtc.Room, offline_job: JobContext, scenario: str
) -> None:
    k, cut = 0, True
    while cut:
        k += 1
        holder = None
        if scenario in ("secondary", "waiting", "promotion"):
            holder = new_session()
            await coordinator.start(holder, agent(), name=f"holder{k}")
        s = new_session()
        if scenario == "promotion":
            await coordinator.start(s, agent(), role="secondary", name=f"s{k}")
            operation = coordinator.promote(s)
        else:
            operation = coordinator.start(s, agent(), name=f"s{k}")
        closing = None
        if scenario in ("waiting", "promotion"):
            assert holder is not None
            closing = asyncio.ensure_future(coordinator.close(holder))
            await asyncio.sleep(0)
        report = await cancel_at(operation, k)
        if closing is not None:
            await closing
        cut = report.reached
        if cut:
            assert report.cancelled, f"cut at await {k} did not cancel"
            assert coordinator.state(s) in (SessionState.CLOSED, SessionState.SECONDARY)
        assert coordinator.violations() == [], f"after a cut at await {k}"
        await coordinator.aclose()
        assert handlers(offline_room) == ([], []), f"after a cut at await {k}"
        assert agents.job_primary(offline_job) is None
    print(f"{scenario}: cut at {k - 1} awaits")
    assert k >= 2, "the operation has at least one await to cut"


@needs("session_shutdown")
async def test_a_session_closing_itself_drives_the_machine_to_closed(
    coordinator: SessionCoordinator, offline_room: rtc.Room
) -> None:
    s = new_session()
    await coordinator.start(s, agent(), name="self")
    closed = asyncio.Event()
    s.on("close", lambda _: closed.set())
    s.shutdown(drain=False)
    await closed.wait()
    assert await coordinator.close(s) is SessionState.CLOSED
    assert coordinator.ownership is OwnershipState.VACANT
    assert handlers(offline_room) == ([], [])


@pytest.mark.parametrize("restarted", [False, True], ids=["first-start", "restarted"])
async def test_direct_aclose_is_noticed(coordinator: SessionCoordinator, restarted: bool) -> None:
    """The coordinator stops listening while it closes a session itself, and listens again when
    the session is started again."""
    s = new_session()
    await coordinator.start(s, agent(), name="direct")
    if restarted:
        assert await coordinator.close(s) is SessionState.CLOSED
        await coordinator.start(s, agent())
        assert coordinator.state(s) is SessionState.PRIMARY
    await s.aclose()
    await asyncio.wait_for(coordinator.managed("direct").closed.wait(), 5)  # a guard, not a sleep
    assert coordinator.state(s) is SessionState.CLOSED
    assert coordinator.violations() == []


async def test_a_secondary_left_running_by_a_failed_promotion_is_still_watched(
    coordinator: SessionCoordinator,
) -> None:
    """Undoing a failed promotion winds effects down without closing the session: a later close
    by livekit itself must still be noticed."""
    a, t = new_session(), new_session()
    await coordinator.start(a, agent(), name="a")
    await coordinator.start(t, agent(), name="t")
    await coordinator.close(a)
    host_fails = {fx.RegisterHost("t")}
    inject(coordinator, lambda e: Fault.RAISE if e in host_fails else Fault.NONE)
    with pytest.raises(StartFailedError):
        await coordinator.promote(t)
    assert coordinator.state(t) is SessionState.SECONDARY
    await t.aclose()
    await asyncio.wait_for(coordinator.managed("t").closed.wait(), 5)  # a guard, not a sleep
    assert coordinator.state(t) is SessionState.CLOSED
    assert coordinator.violations() == []


@needs("session_end_step")
async def test_job_shutdown_closes_every_session_before_the_room_disconnects(
    coordinator: SessionCoordinator, offline_job: JobContext
) -> None:
    sessions = [new_session() for _ in range(3)]
    for i, s in enumerate(sessions):
        await coordinator.start(s, agent(), name=f"s{i}")
    at_disconnect: list[SessionState] = []
    await run_job_shutdown(
        offline_job, on_disconnect=lambda: at_disconnect.extend(map(coordinator.state, sessions))
    )
    assert at_disconnect == [SessionState.CLOSED] * 3


async def test_job_shutdown_closes_every_session(
    coordinator: SessionCoordinator, offline_job: JobContext
) -> None:
    """Whatever the livekit-agents: before 1.3 the job disconnects first and the coordinator
    closes its sessions in the shutdown callbacks that follow."""
    sessions = [new_session() for _ in range(3)]
    for i, s in enumerate(sessions):
        await coordinator.start(s, agent(), name=f"s{i}")
    await run_job_shutdown(offline_job)
    assert [coordinator.state(s) for s in sessions] == [SessionState.CLOSED] * 3
    assert not any(agents.is_running(s) for s in sessions)
    assert coordinator.violations() == []


@needs("session_end_step")
@pytest.mark.parametrize("forget", [False, True])
async def test_the_end_of_job_report_sees_the_last_primary_unless_it_was_forgotten(
    offline_job: JobContext, forget: bool
) -> None:
    seen_by_report: list[object] = []

    async def nothing() -> None:
        pass

    async def report() -> None:  # runs inside livekit's session-end step
        seen_by_report.append(agents.job_primary(offline_job))

    agents.hook_session_end(offline_job, nothing, report)
    coordinator = SessionCoordinator.for_job(offline_job)
    first, last = new_session(), new_session()
    for s in (first, last):
        await coordinator.start(s, agent())
        await coordinator.close(s)
    if forget:
        coordinator.forget(last)
    await run_job_shutdown(offline_job)
    assert seen_by_report == [None if forget else last]
    assert agents.job_primary(offline_job) is None


@needs("primary_designation")
async def test_a_foreign_primary_makes_auto_secondary_and_primary_conflict(
    coordinator: SessionCoordinator, offline_room: rtc.Room, offline_job: JobContext
) -> None:
    foreign = new_session()
    # not through the coordinator
    await foreign.start(agent(), room=bare_room(offline_room), record=False)
    s = new_session()
    assert await coordinator.start(s, agent(), name="mine") is SessionState.SECONDARY
    with pytest.raises(SessionLifecycleError, match="does not manage") as caught:
        await coordinator.start(new_session(), agent(), role="primary")
    assert caught.value.code == "primary_conflict"
    await foreign.aclose()  # livekit leaves its designation behind
    late = new_session()
    assert await coordinator.start(late, agent(), role="primary") is SessionState.PRIMARY
    assert agents.job_primary(offline_job) is late
    await coordinator.aclose()


async def test_promotion_hosts_the_room(
    coordinator: SessionCoordinator, offline_room: rtc.Room, offline_job: JobContext
) -> None:
    a, t = new_session(), new_session()
    await coordinator.start(a, agent(), name="a")
    await coordinator.start(t, agent(), name="t")
    await coordinator.close(a)
    assert await coordinator.promote(t) is SessionState.PRIMARY
    if CAPABILITIES.hosting:
        assert RoomTopics.of(offline_room).owner(HOST_TOPIC) == "t"
        assert hosts(offline_room)
    else:  # before livekit-agents 1.4 nothing hosts: a promotion takes the scope only
        assert RoomTopics.of(offline_room).owner(HOST_TOPIC) is None and not hosts(offline_room)
    assert designated(offline_job) is t and coordinator.violations() == []
    await coordinator.close(t)
    assert agents.byte_stream_topics(offline_room) == []


def test_for_job_returns_the_same_coordinator(offline_job: JobContext) -> None:
    assert SessionCoordinator.for_job(offline_job) is SessionCoordinator.for_job(offline_job)


@needs("session_recording")
async def test_a_recording_primary_and_a_secondary_start_at_once(
    coordinator: SessionCoordinator, offline_job: JobContext
) -> None:
    """livekit-agents 1.3 and 1.4 take only a free designation, so the adapter frees the one it
    claimed during the primary's start: a secondary starting meanwhile must not take it."""
    (primary, tone), secondary = toned(), new_session()
    states = await asyncio.gather(
        coordinator.start(secondary, agent(), role="secondary", name="s"),
        coordinator.start(primary, agent(), role="primary", record=True, name="p"),
    )
    assert list(states) == [SessionState.SECONDARY, SessionState.PRIMARY]
    assert designated(offline_job) is primary and coordinator.violations() == []
    await session_lasts(tone)
    await coordinator.close(primary)
    path = coordinator.recording_path(primary)
    assert path is not None and path.read_bytes()[:4] == b"OggS"
    await coordinator.aclose()
    assert agents.job_primary(offline_job) is None


async def test_secondaries_started_at_once_leave_the_designation_free(
    coordinator: SessionCoordinator, offline_job: JobContext
) -> None:
    """livekit makes a session started while nobody holds the designation the job's primary; the
    library puts back what each secondary's start found, read when that start runs (on 1.3 and
    1.4 a job's starts take turns: the second must not put back the first one's)."""
    a, b = new_session(), new_session()
    states = await asyncio.gather(
        coordinator.start(a, agent(), role="secondary", name="a"),
        coordinator.start(b, agent(), role="secondary", name="b"),
    )
    assert list(states) == [SessionState.SECONDARY, SessionState.SECONDARY]
    assert agents.job_primary(offline_job) is None and coordinator.violations() == []
    await coordinator.aclose()
