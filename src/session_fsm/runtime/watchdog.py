"""One timer that bounds every awaiting effect of a coordinator by `effect_timeout`.

`asyncio.timeout()` around each effect schedules a timer, pushes it on the loop's heap and
cancels it again, for every effect, although effects almost never hang. Here a single timer is
armed for the oldest effect in flight and only moved when it fires: it then cancels the tasks
whose effect is past its deadline (the way `asyncio.timeout` does, so their own cancellations
are told apart) and re-arms for the next deadline, if any effect is still in flight.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


class _Watch:
    __slots__ = ("cancelling", "deadline", "fired", "task")

    def __init__(self, task: asyncio.Task[object], deadline: float) -> None:
        self.task = task
        self.deadline = deadline
        #: The task's pending cancellations before the effect: more after ours means a caller's.
        self.cancelling = task.cancelling()
        self.fired = False


class EffectWatchdog:
    def __init__(self, limit: float) -> None:
        self.limit = limit
        self._watches: set[_Watch] = set()
        self._timer: asyncio.TimerHandle | None = None

    async def bound(self, work: Awaitable[T], what: str) -> T:
        """Await `work` in the caller's task; raise TimeoutError naming `what` if it takes
        longer than the limit (a cancellation of the caller still reaches `work` as usual)."""
        loop = asyncio.get_running_loop()
        task = asyncio.current_task(loop)
        assert task is not None, "effects run in a task"
        watch = _Watch(task, loop.time() + self.limit)
        self._watches.add(watch)
        if self._timer is None:
            self._timer = loop.call_at(watch.deadline, self._fire, loop)
        try:
            result = await work
        except asyncio.CancelledError:
            if watch.fired and task.uncancel() <= watch.cancelling:
                limit = f"effect_timeout={self.limit:g}s"
                raise TimeoutError(f"{what} took longer than {limit}") from None
            raise
        except BaseException:
            if watch.fired:
                task.uncancel()
            raise
        finally:
            self._watches.discard(watch)
        if watch.fired:  # the effect finished anyway, swallowing our cancellation
            task.uncancel()
        return result

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
