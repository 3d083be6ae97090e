"""One timer that bounds every awaiting effect of a coordinator by `effect_timeout`.

`asyncio.timeout()` around each effect schedules a timer, pushes it on the loop's heap and
cancels it again, for every effect, although effects almost never hang. Here a single timer is
armed for the oldest effect in flight and only moved when it fires: it then cancels the tasks
whose effect is past its deadline (the way `asyncio.timeout` does, so their own cancellations
are told apart) and re-arms for the next deadline, if any effect is still in flight.

`bound` is the one way in: the coordinator wraps each effect that awaits in it
(`SessionCoordinator._run_effect`), so a watch costs one coroutine and one small record, and a
synchronous effect none.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


class EffectWatchdog:
    def __init__(self, limit: float) -> None:
        self.limit = limit
        self._watches: set[Watch] = set()
        self._timer: asyncio.TimerHandle | None = None

    async def bound(self, work: Awaitable[T], what: str) -> T:
        """Await `work` in the current task: past the limit it raises TimeoutError naming
        `what`; a cancellation of the caller still reaches the awaited work as usual."""
        loop = asyncio.get_running_loop()
        task = asyncio.current_task(loop)
        assert task is not None, "effects run in a task"
        watch = Watch(task, loop.time() + self.limit)
        self._watches.add(watch)
        if self._timer is None:
            self._timer = loop.call_at(watch.deadline, self._fire, loop)
        cut = False
        try:
            return await work
        except asyncio.CancelledError:
            cut = True
            raise
        finally:
            self._watches.discard(watch)
            # ours is taken back; the effect ended anyway (or failed on its own) unless it was
            # cancelled and no other cancellation is pending: then it was cut for taking too long
            if watch.fired and task.uncancel() <= watch.cancelling and cut:
                limit = f"effect_timeout={self.limit:g}s"
                raise TimeoutError(f"{what} took longer than {limit}") from None

    def _fire(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        now = loop.time()
        later: float | None = None
        for watch in self._watches:
            if watch.fired:
                continue
            if watch.deadline <= now:
                watch.fired = True
                watch.task.cancel()
            elif later is None or watch.deadline < later:
                later = watch.deadline
        if later is not None:
            self._timer = loop.call_at(later, self._fire, loop)


class Watch:
    """One awaiting effect in flight."""

    __slots__ = ("cancelling", "deadline", "fired", "task")

    def __init__(self, task: asyncio.Task[object], deadline: float) -> None:
        self.task, self.deadline = task, deadline
        #: The task's pending cancellations before the effect: more after ours means a caller's.
        self.cancelling = task.cancelling()
        self.fired = False
