"""The two asyncio primitives the runtime's guarantees rest on: a close that a cancellation cannot
cut (`uncancellable`) and the bound on effects (`EffectWatchdog`)."""

from __future__ import annotations

import asyncio

import pytest

from session_fsm._runtime.aio import uncancellable
from session_fsm._runtime.watchdog import EffectWatchdog
from session_fsm.testing._cancel import cancel_at


class Work:
    """A piece of work that waits for `go`, then finishes (or raises) and says so."""

    def __init__(self, error: Exception | None = None) -> None:
        self.started, self.go, self.finished = asyncio.Event(), asyncio.Event(), False
        self.error = error

    async def __call__(self) -> str:
        self.started.set()
        await self.go.wait()
        self.finished = True
        if self.error is not None:
            raise self.error
        return "done"


async def test_uncancellable_returns_the_result_and_raises_the_error() -> None:
    ok = Work()
    ok.go.set()
    assert await uncancellable(ok()) == "done"
    bad = Work(ValueError("boom"))
    bad.go.set()
    with pytest.raises(ValueError, match="boom"):
        await uncancellable(bad())


async def test_a_cancelled_caller_waits_for_the_work_then_sees_the_cancellation() -> None:
    work = Work()
    caller = asyncio.ensure_future(uncancellable(work()))
    await work.started.wait()
    caller.cancel()
    work.go.set()  # the work was not cut by the cancellation, so it can still finish
    with pytest.raises(asyncio.CancelledError):
        await caller
    assert work.finished


async def test_a_cancellation_thrown_straight_in_also_waits_for_the_work() -> None:
    work = Work()
    cut = asyncio.ensure_future(cancel_at(uncancellable(work()), 1))
    await work.started.wait()
    work.go.set()
    report = await cut
    assert report.reached and report.cancelled
    assert work.finished


async def test_the_watchdog_cuts_a_hanging_effect_and_names_it() -> None:
    watchdog = EffectWatchdog(0.05)
    task = asyncio.current_task()
    assert task is not None
    with pytest.raises(TimeoutError, match=r"StartSession took longer than effect_timeout=0\.05s"):
        await watchdog.bound(asyncio.Event().wait(), "StartSession")
    assert task.cancelling() == 0  # its own cancellation is taken back


async def test_the_watchdog_leaves_quick_effects_alone_and_bounds_each_one() -> None:
    watchdog = EffectWatchdog(0.05)
    quick = Work()
    quick.go.set()
    hanging = asyncio.ensure_future(watchdog.bound(asyncio.Event().wait(), "CloseSession"))
    assert await watchdog.bound(quick(), "RegisterHost") == "done"
    with pytest.raises(TimeoutError, match="CloseSession"):
        await hanging
    later = asyncio.ensure_future(watchdog.bound(asyncio.Event().wait(), "UnregisterHost"))
    with pytest.raises(TimeoutError, match="UnregisterHost"):
        await later


async def test_a_callers_cancellation_is_not_turned_into_a_timeout() -> None:
    watchdog = EffectWatchdog(60)
    work = Work()
    effect = asyncio.ensure_future(watchdog.bound(work(), "DrainSession"))
    await work.started.wait()
    effect.cancel()
    with pytest.raises(asyncio.CancelledError):
        await effect
    assert not work.finished
