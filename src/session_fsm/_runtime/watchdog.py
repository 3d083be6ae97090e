"""The bound on every awaiting effect of a coordinator: `effect_timeout`.

`bound` is the one way in: the lanes wrap each effect that awaits in it
(`Lanes.run_effect`); a synchronous effect cannot hang and is not wrapped. The
bound is `asyncio.timeout` around the effect, in the lane's own task, so a cancellation of the
caller still reaches whatever the effect awaits, and is never mistaken for the timeout.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


class EffectWatchdog:
    def __init__(self, limit: float) -> None:
        self.limit = limit

    async def bound(self, work: Awaitable[T], what: str) -> T:
        """Await `work` in the current task: past the limit it is cancelled and TimeoutError
        naming `what` is raised; a cancellation of the caller still reaches the awaited work as
        usual, and stays a cancellation."""
        timeout = asyncio.timeout(self.limit)
        try:
            async with timeout:
                return await work
        except TimeoutError:
            if not timeout.expired():  # the effect's own TimeoutError, not ours
                raise
            limit = f"effect_timeout={self.limit:g}s"
            raise TimeoutError(f"{what} took longer than {limit}") from None
