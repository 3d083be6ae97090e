"""Races, cancellation of every operation at every await, and effects that are never cut."""

from __future__ import annotations

import asyncio

import pytest
from livekit import rtc
from livekit.agents import JobContext

from session_fsm import SessionCoordinator, SessionState
from session_fsm._adapters import agents
from session_fsm._runtime.effects import execute
from session_fsm._runtime.managed import Managed
from session_fsm.fsm import _effects as fx
from session_fsm.testing._cancel import cancel_at
from session_fsm.testing._checks import at_rest_violations
from session_fsm.testing._offline import run_job_shutdown

from ..integration.conftest import agent, new_session


async def test_concurrent_auto_starts_give_exactly_one_primary(
    coordinator: SessionCoordinator, offline_room: rtc.Room
) -> None:
    sessions = [new_session() for _ in range(12)]
    states = await asyncio.gather(*(coordinator.start(s, agent()) for s in sessions))
    assert states.count(SessionState.PRIMARY) == 1
    assert states.count(SessionState.SECONDARY) == 11
    assert agents.byte_stream_topics(offline_room).count("lk.agent.session") == 1
    assert coordinator.violations() == []


async def test_drain_racing_promote(coordinator: SessionCoordinator) -> None:
    a, t = new_session(), new_session()
    await coordinator.start(a, agent(), name="a")
    await coordinator.start(t, agent(), name="t")
    await coordinator.close(a)
    results = await asyncio.gather(
        coordinator.drain(t), coordinator.promote(t), return_exceptions=True
    )
    assert all(not isinstance(r, BaseException) or hasattr(r, "code") for r in results)
    assert coordinator.violations() == []
    await coordinator.aclose()
    assert at_rest_violations(coordinator) == []


async def test_job_shutdown_racing_everything(
    coordinator: SessionCoordinator, offline_job: JobContext
) -> None:
    running = [new_session() for _ in range(3)]
    for s in running:
        await coordinator.start(s, agent())
    late = new_session()
    operations = asyncio.gather(
        coordinator.start(late, agent()),
        coordinator.drain(running[1]),
        coordinator.promote(running[2]),
        coordinator.close(running[0]),
        return_exceptions=True,
    )
    await run_job_shutdown(offline_job)
    for result in await operations:
        assert not isinstance(result, BaseException) or hasattr(result, "code"), result
    await coordinator.aclose()
    assert at_rest_violations(coordinator) == []
    assert {coordinator.state(s) for s in [*running, late]} == {SessionState.CLOSED}


@pytest.mark.parametrize("operation", ["close", "drain", "close-recorded"])
async def test_every_await_of_close_and_drain_can_be_cut(
    coordinator: SessionCoordinator, operation: str
) -> None:
    k, cut = 0, True
    while cut:
        k += 1
        s = new_session()
        await coordinator.start(s, agent(), record=operation == "close-recorded", name=f"s{k}")
        method = coordinator.drain if operation == "drain" else coordinator.close
        report = await cancel_at(method(s), k)
        cut = report.reached
        assert coordinator.violations() == [], f"after a cut at await {k}"
        if operation != "drain":  # a close runs to the end even when its caller is cancelled
            assert coordinator.state(s) is SessionState.CLOSED
        await coordinator.close(s)
    await coordinator.aclose()
    assert at_rest_violations(coordinator) == []
    assert k >= 2


class Gate:
    """Wraps the coordinator's executor: holds one effect kind until released, logs the order."""

    def __init__(self, coord: SessionCoordinator, kind: type[fx.Effect]) -> None:
        self.inner, self.kind = coord.runner, kind
        self.entered, self.release = asyncio.Event(), asyncio.Event()
        self.order: list[str] = []
        coord.runner = self

    async def run(self, m: Managed, effect: fx.Effect) -> None:
        self.order.append(f"begin {type(effect).__name__}")
        if type(effect) is self.kind:
            self.entered.set()
            await self.release.wait()
        await execute(self.inner, m, effect)
        self.order.append(f"end {type(effect).__name__}")


async def test_a_close_never_cuts_a_drain_half_way(coordinator: SessionCoordinator) -> None:
    s = new_session()
    await coordinator.start(s, agent())
    gate = Gate(coordinator, fx.DrainSession)
    draining = asyncio.ensure_future(coordinator.drain(s))
    await gate.entered.wait()
    closing = asyncio.ensure_future(coordinator.close(s))
    await asyncio.sleep(0)
    assert "begin CloseSession" not in gate.order  # the close waits for the drain's lane
    gate.release.set()
    await draining
    assert await closing is SessionState.CLOSED
    assert gate.order.index("end DrainSession") < gate.order.index("begin CloseSession")


async def test_cancelling_a_close_never_cuts_the_export(
    coordinator: SessionCoordinator,
) -> None:
    entered, release, exported = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def slow(info: object) -> None:
        entered.set()
        await release.wait()
        exported.set()

    s = new_session()
    await coordinator.start(s, agent(), record=True, exporter=slow)  # type: ignore[arg-type]
    closing = asyncio.ensure_future(coordinator.close(s, wait_export=True))
    await entered.wait()  # the close has reached the export
    closing.cancel()
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await closing
    await coordinator.exports_done(s)
    assert exported.is_set()
    [outcome] = coordinator.exports(s)
    assert outcome.error is None
    assert coordinator.state(s) is SessionState.CLOSED
