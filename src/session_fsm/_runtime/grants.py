"""A start that waits for the releasing primary: its wait, and the plan the core grants it.

The core grants the scope to the (at most one) waiting start in the step that vacates it, and
says so in that step's `Outcome`; `resolve` hands the plan to the waiter's future in the same
event-loop pass. What changes here: how long a start waits, and what a timeout or a cancellation
of the wait undoes.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from ..fsm import _effects as fx
from ..fsm._events import StartFailed
from ..fsm._states import SessionState
from ..fsm.errors import ClaimTimeout
from .aio import uncancellable
from .managed import Managed

if TYPE_CHECKING:
    from .lanes import Lanes


class Grants:
    """The waiting starts of one scope (the core lets at most one wait)."""

    def __init__(self, lanes: Lanes) -> None:
        self.lanes = lanes

    async def wait(self, m: Managed, timeout: float) -> tuple[fx.Effect, ...] | None:
        """The plan the scope was granted with, or None when the wait ended without one (the
        session was closed, or its promotion went back to secondary). Raises `claim_timeout`
        past `timeout`; a timed-out or cancelled wait leaves nothing taken."""
        grant = m.grant = asyncio.get_running_loop().create_future()
        lanes = self.lanes
        try:
            return await asyncio.wait_for(asyncio.shield(grant), timeout)
        except TimeoutError:
            if grant.done():
                done: tuple[fx.Effect, ...] | None = grant.result()
                return done
            lanes.feed(StartFailed(m.key, 0))
            holder = lanes.scope.holder
            raise ClaimTimeout(
                f"session {m.key!r} waited {timeout:g}s for session {holder!r} to release the "
                "primary; it was not started. Raise claim_timeout, or close the holder sooner.",
                session=m.key,
            ) from None
        except asyncio.CancelledError:  # still waiting, or granted and not yet started
            if lanes.scope.state(m.key) is SessionState.STARTING:
                await uncancellable(lanes.undo_start(m, 0, None))
            raise
        finally:
            m.grant = None

    def resolve(self, m: Managed | None, granted: tuple[fx.Effect, ...] | None) -> None:
        """Hand the waiter whose wait the core ended its granted plan, or None."""
        if m is not None and m.grant is not None and not m.grant.done():
            m.grant.set_result(granted)
