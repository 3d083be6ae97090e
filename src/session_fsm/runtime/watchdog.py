"""One timer that bounds every awaiting effect of a coordinator by `effect_timeout`.

`asyncio.timeout()` around each effect schedules a timer, pushes it on the loop's heap and
cancels it again, for every effect, although effects almost never hang. Here a single timer is
armed for the oldest effect in flight and only moved when it fires: it then cancels the tasks
whose effect is past its deadline (the way `asyncio.timeout` does, so their own cancellations
are told apart) and re-arms for the next deadline, if any effect is still in flight.

A watch is a plain `with` block around the effect's `await` (`SessionCoordinator._run_effect`).
"""

from __future__ import annotations

import asyncio
from types import TracebackType


class EffectWatchdog:
    def __init__(self, limit: float) -> None:
        self.limit = limit
        self._watches: set[Watch] = set()
        self._timer: asyncio.TimerHandle | None = None

    def watch(self, what: str) -> Watch:
        """Bound the `await` in the `with` block this opens (in the current task): past the
        limit it raises TimeoutError naming `what`; a cancellation of the caller still reaches
        the awaited work as usual."""
        loop = asyncio.get_running_loop()
        task = asyncio.current_task(loop)
        assert task is not None, "effects run in a task"
        watch = Watch(self, task, loop.time() + self.limit, what)
        self._watches.add(watch)
        if self._timer is None:
            self._timer = loop.call_at(watch.deadline, self._fire, loop)
        return watch

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
    __slots__ = ("cancelling", "deadline", "dog", "fired", "task", "what")

    def __init__(
        self, dog: EffectWatchdog, task: asyncio.Task[object], deadline: float, what: str
    ) -> None:
        self.dog, self.task, self.deadline, self.what = dog, task, deadline, what
        #: The task's pending cancellations before the effect: more after ours means a caller's.
        self.cancelling = task.cancelling()
        self.fired = False

    def __enter__(self) -> Watch:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.dog._watches.discard(self)
        if not self.fired:
            return
        # ours is taken back; the effect ended anyway (or failed on its own) unless it was
        # cancelled and no other cancellation is pending: then it was cut for taking too long
        if self.task.uncancel() <= self.cancelling and kind is asyncio.CancelledError:
            limit = f"effect_timeout={self.dog.limit:g}s"
            raise TimeoutError(f"{self.what} took longer than {limit}") from None
