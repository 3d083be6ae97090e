"""asyncio helpers the runtime needs to run sessions in their own context and to compensate
under cancellation."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Coroutine, Generator
from typing import Any, Generic, TypeVar

T = TypeVar("T")


async def uncancellable(work: Awaitable[T]) -> T:
    """Run `work` to the end even if the caller is cancelled meanwhile, then re-raise the
    cancellation: compensation and close effects must never be cut half-way."""
    task = asyncio.ensure_future(work)
    cancelled = False
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.done():
                break
            cancelled = True
    result = task.result()
    if cancelled:
        raise asyncio.CancelledError
    return result


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


async def in_context(coro: Coroutine[Any, Any, T], context: contextvars.Context) -> T:
    """Await `coro` in the caller's task but with `context` current while it runs: what it sets
    (livekit's span token) stays in `context`, and a cancellation of the caller reaches whatever
    await `coro` is at, as if it ran inline."""
    return await _InContext(coro, context)
