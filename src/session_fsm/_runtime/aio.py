"""asyncio helpers the runtime needs to run sessions in their own context and to compensate
under cancellation."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Coroutine, Generator
from typing import Any, Generic, TypeVar

T = TypeVar("T")


async def uncancellable(work: Coroutine[Any, Any, T]) -> T:
    """Run `work` to the end even if the caller is cancelled meanwhile, then re-raise the
    cancellation: compensation and close effects must never be cut half-way.

    `work` runs in a task of its own, so a cancellation of the caller never reaches whatever
    livekit future it awaits; the caller waits for that task with `asyncio.wait`, which a
    cancellation ends without touching the task, and waits again until the task is done. A
    cancellation the caller saw, by `Task.cancel()` or thrown straight in, is raised once the
    work has finished; it wins over the work's own outcome."""
    task = asyncio.ensure_future(work)
    cancelled = False
    while not task.done():
        try:
            await asyncio.wait([task])
        except asyncio.CancelledError:
            cancelled = True
    if cancelled:
        if not task.cancelled():
            task.exception()  # seen: the caller's cancellation is what it gets
        raise asyncio.CancelledError
    return task.result()


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
    every suspension of `coro` passes up through the frames that await it.)

    Not `asyncio.create_task(coro, context=context)`: livekit's start would then run in a task
    of its own, which a cancellation thrown into the caller (`testing.cancel_at`) never reaches,
    and whose awaits the caller no longer sees: the suites that cut a start at each of its awaits
    would cut it at fewer points (tried: fewer, and the cancellation suites failed with it)."""
    return _InContext(coro, context)
