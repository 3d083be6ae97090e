"""Cancel a coroutine at exactly its k-th await: deterministic cancellation tests, no sleeps.

`await cancel_at(coro, k)` runs `coro` in the caller's task, passing each future it waits on up
to the event loop, and at the k-th one throws `CancelledError` into it instead (as `Task.cancel()`
would deliver it there). Whatever the coroutine does after that (its compensation) runs normally.
`CutReport.reached` says whether the k-th await existed: once it is False, k has passed the end.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator
from typing import Any, Generic, TypeVar

import attrs

from ..fsm.errors import InvalidInput

T = TypeVar("T")


@attrs.define
class CutReport(Generic[T]):
    reached: bool = False
    cancelled: bool = False
    result: T | None = None
    error: BaseException | None = None


class _Cut(Generic[T]):
    def __init__(self, coro: Coroutine[Any, Any, T], k: int, report: CutReport[T]) -> None:
        self.coro, self.k, self.report = coro, k, report

    def __await__(self) -> Generator[Any, Any, T]:
        it = self.coro.__await__()
        awaits = 0
        try:
            yielded = it.send(None)
            while True:
                awaits += 1
                if awaits == self.k:
                    self.report.reached = True
                    yielded = it.throw(asyncio.CancelledError())
                    continue
                try:
                    value = yield yielded
                except BaseException as exc:  # a real cancellation or error from the loop
                    yielded = it.throw(exc)
                else:
                    yielded = it.send(value)
        except StopIteration as stop:
            result: T = stop.value
            return result


async def cancel_at(coro: Coroutine[Any, Any, T], k: int) -> CutReport[T]:
    """Run `coro`, cancelling it at its k-th await (k >= 1); report what happened. No timeout:
    it runs as long as `coro` does.

    Raises:
        SessionLifecycleError: `invalid_input` when `coro` is not a coroutine or `k` not an int
            of 1 or more (the coroutine is then closed, never run).
    """
    if not asyncio.iscoroutine(coro):
        raise InvalidInput(f"cancel_at takes a coroutine, got {coro!r}")
    if type(k) is not int or k < 1:
        coro.close()  # refused: it never runs
        raise InvalidInput(f"cancel_at: k counts awaits from 1, got {k!r}")
    report: CutReport[T] = CutReport()
    try:
        report.result = await _Cut(coro, k, report)
    except asyncio.CancelledError:
        if not report.reached:
            raise
        report.cancelled = True
    except Exception as exc:
        report.error = exc
    return report
