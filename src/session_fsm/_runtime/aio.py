"""asyncio helpers the runtime needs to run sessions in their own context and to compensate
under cancellation."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Coroutine, Generator
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class _Deferring(asyncio.Future[T]):
    """A future its awaiting task cannot cancel: `Task.cancel()` finds `cancel()` refusing and
    marks the task to be cancelled at its next step instead, which comes once this is done."""

    def cancel(self, msg: Any | None = None) -> bool:
        return False


async def uncancellable(work: Coroutine[Any, Any, T]) -> T:
    """Run `work` to the end even if the caller is cancelled meanwhile, then re-raise the
    cancellation: compensation and close effects must never be cut half-way.

    `work` runs in a task of its own (a cancellation of the caller would otherwise reach
    whatever livekit future it awaits), which hands its outcome straight to the caller's
    `_Deferring` future: no `shield`, so no extra loop pass on the way back."""
    loop = asyncio.get_running_loop()
    done: _Deferring[T] = _Deferring(loop=loop)

    async def run() -> None:
        try:
            done.set_result(await work)
        except BaseException as exc:  # the caller gets it, cancellation included
            done.set_exception(exc)

    def settle(task: asyncio.Task[None]) -> None:
        _TASKS.discard(task)
        if not done.done():  # cancelled before its first step (the loop shutting down)
            work.close()
            done.set_exception(asyncio.CancelledError())

    task = loop.create_task(run())
    _TASKS.add(task)
    task.add_done_callback(settle)
    cancelled = False
    while not done.done():
        try:
            await done
        except asyncio.CancelledError:  # thrown in directly, not through Task.cancel()
            if done.done():
                raise
            cancelled = True
            done._asyncio_future_blocking = False  # no task took it: await it afresh
    if cancelled:
        raise asyncio.CancelledError
    return done.result()


#: The tasks `uncancellable` started: the loop itself holds tasks only weakly.
_TASKS: set[asyncio.Task[None]] = set()


async def finish(task: asyncio.Task[Any]) -> None:
    """Make sure an abandoned task is over (cancelled and awaited) before undoing its work."""
    if not task.done():
        task.cancel()
    await asyncio.gather(task, return_exceptions=True)


class _InContext(Generic[T]):
    def __init__(self, coro: Coroutine[Any, Any, T], context: contextvars.Context) -> None:
        self.coro, self.context = coro, context

    def __await__(self) -> Generator[Any, Any, T]:
        it = self.coro.__await__()
        value: Any = None
        error: BaseException | None = None
        while True:
            try:
                if error is not None:
                    yielded = self.context.run(it.throw, error)
                else:
                    yielded = self.context.run(it.send, value)
            except StopIteration as stop:
                result: T = stop.value
                return result
            try:
                value, error = (yield yielded), None
            except BaseException as exc:  # cancellation lands at the awaited point, as usual
                value, error = None, exc


def in_context(coro: Coroutine[Any, Any, T], context: contextvars.Context) -> Awaitable[T]:
    """Await `coro` in the caller's task but with `context` current while it runs: what it sets
    (livekit's span token) stays in `context`, and a cancellation of the caller reaches whatever
    await `coro` is at, as if it ran inline. (The awaitable itself, not a coroutine around it:
    every suspension of `coro` passes up through the frames that await it.)"""
    return _InContext(coro, context)
