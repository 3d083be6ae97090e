"""Feeding the core and running its effects, one session's lane at a time.

The core's `step()` is synchronous, so the events of a scope are applied one at a time; the
effects of one session run in order under its lane (`Managed.lane`), while other sessions'
effects interleave freely, as the explorer models them. Each effect goes through `run_effect`:
a synchronous one is done when that returns; one that awaits is awaited in the lane's own task
(so a cancellation reaches whatever it awaits), bounded by the effect watchdog. A start that
fails is undone through the core's compensation; a close never stops half-way. What changes
here: how effects are run, retried and undone, and what the runtime notes when a state moves.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from .._adapters import telemetry
from ..fsm import _effects as fx
from ..fsm._events import Closed, Event, Started, StartFailed
from ..fsm._machine import Scope
from ..fsm._states import SessionState
from ..fsm.errors import SessionLifecycleError, StartFailedError
from .aio import uncancellable
from .effects import Executor
from .grants import Grants
from .hooks import unlisten
from .managed import Managed
from .watchdog import EffectWatchdog

logger = logging.getLogger("session_fsm")

_CLOSED = SessionState.CLOSED

#: A failed cleanup is tried again, up to this many times in all: the effects that undo a start
#: (`fx.COMPENSATION`'s) are the ones a close runs, and each is idempotent.
CLEANUP_ATTEMPTS = 3
RETRIED: frozenset[type[fx.Effect]] = frozenset(fx.COMPENSATION.values())


class Lanes:
    """The effects of one scope's sessions, run through `runner` in each session's lane."""

    def __init__(
        self,
        scope: Scope,
        runner: Executor,
        *,
        managed: dict[str, Managed],
        effect_timeout: float,
    ) -> None:
        self.scope = scope
        #: What runs each effect (the test kit swaps it to inject faults).
        self.runner = runner
        #: The coordinator's sessions by key (shared, not copied).
        self.managed = managed
        self.grants = Grants(self)
        self._watchdog = EffectWatchdog(effect_timeout)
        #: Background work (exports, closes livekit started) that shutdown waits for.
        self.tasks: set[asyncio.Task[Any]] = set()

    # ------------------------------------------------------------------ the core

    def feed(self, event: Event) -> tuple[fx.Effect, ...]:
        """Apply one event; hand a waiter whose wait is over its granted plan (or None); return
        this event's own effects."""
        outcome = self.scope.step(event)
        for key, before, after in outcome.moved:
            self._note_state(key, before, after)
        if outcome.wait_over is not None:
            self.grants.resolve(self.managed.get(outcome.wait_over), outcome.grant or None)
        return outcome.effects

    def _note_state(self, key: str, before: SessionState | None, after: SessionState) -> None:
        m = self.managed.get(key)
        if m is None:
            return
        if m.span is not None:  # the first transitions come before the span is adopted
            telemetry.record_state(m.span, before, after)
        if after is _CLOSED:
            m.closed.set()
            m.released.set()
        elif before is _CLOSED:  # started again
            m.closed.clear()
            m.released.clear()

    # ------------------------------------------------------------------ starts

    async def run_start(
        self, m: Managed, effects: tuple[fx.Effect, ...], timeout: float
    ) -> SessionState:
        """Run a start's (or a promotion's) effects, waiting first for the grant when the core
        says so; undo what completed if one fails or the caller is cancelled."""
        if type(effects[0]) is fx.WaitForClaim:
            granted = await self.grants.wait(m, timeout)
            if granted is None:
                return self.scope.state(m.key)
            effects = granted
        completed = 0
        try:
            async with m.lane:
                for effect in effects:
                    if (pending := self.run_effect(m, effect)) is not None:
                        await pending
                    completed += 1
        except BaseException as exc:
            await uncancellable(self.undo_start(m, completed, exc))
            if isinstance(exc, SessionLifecycleError) or not isinstance(exc, Exception):
                raise
            raise StartFailedError(
                f"session {m.key!r} failed to start at {type(effects[completed]).__name__}: "
                f"{type(exc).__name__}: {exc}. Everything it had taken was released; fix the "
                "cause and start it again.",
                session=m.key,
            ) from exc
        after = self.feed(Started(m.key))
        if after:  # a close arrived while it was starting
            await uncancellable(self.close_down(m, after))
        return self.scope.state(m.key)

    async def undo_start(self, m: Managed, completed: int, error: BaseException | None) -> None:
        if error is not None and not isinstance(error, asyncio.CancelledError):
            telemetry.record_error(m.span, error, "start")
        undo = self.feed(StartFailed(m.key, completed))
        if not self.scope.awaits_closed(m.key):  # a wait that just ended: nothing to undo
            return
        after = await self.wind_down(m, undo)
        if after:  # a failed promotion with a close pending: close the secondary
            await self.close_down(m, after)

    # ------------------------------------------------------------------ drains and closes

    async def run_all(self, m: Managed, effects: tuple[fx.Effect, ...]) -> None:
        """Run `effects` in the session's lane, stopping at the first that fails (a drain)."""
        async with m.lane:
            for effect in effects:
                if (pending := self.run_effect(m, effect)) is not None:
                    await pending

    async def close_down(self, m: Managed, effects: tuple[fx.Effect, ...]) -> None:
        """A close: what it shares is released when this returns; an export the core asks for
        after that runs in the background (`m.exporting`), so no handoff waits for an upload."""
        after = await self.wind_down(m, effects)
        if after:
            m.exporting = self.spawn(self._export(m, after))
        m.released.set()

    async def _export(self, m: Managed, effects: tuple[fx.Effect, ...]) -> None:
        try:
            await self.wind_down(m, effects)
        finally:
            m.exporting = None

    async def wind_down(self, m: Managed, effects: tuple[fx.Effect, ...]) -> tuple[fx.Effect, ...]:
        """Run every effect even if one fails, then tell the core `closed`; returns what that asks
        for. A close never stops half-way: a failed cleanup is retried (they are idempotent); the
        export is not (a recording is exported at most once). What still fails goes on the span
        (while it is open) and into the log."""
        async with m.lane:
            for effect in effects:
                if type(effect) is fx.CloseSession:  # livekit's close is now one we asked for
                    unlisten(m)
                attempts = CLEANUP_ATTEMPTS if type(effect) in RETRIED else 1
                for attempt in range(1, attempts + 1):
                    try:
                        if (pending := self.run_effect(m, effect)) is not None:
                            await pending
                        break
                    except (Exception, asyncio.CancelledError) as exc:
                        # a close cannot be cancelled: a cancellation here came from the effect
                        if attempt < attempts:
                            continue
                        name = type(effect).__name__
                        logger.warning("session %r: %s failed: %r", m.key, name, exc)
                        telemetry.record_error(m.span, exc, name)
        return self.feed(Closed(m.key))

    # ------------------------------------------------------------------ one effect

    def run_effect(self, m: Managed, effect: fx.Effect) -> Awaitable[None] | None:
        """One effect through its adapter, the one place that decides what an effect needs: a
        synchronous one is done when this returns None; one that awaits comes back bounded by
        `effect_timeout`, for the lane's task to await."""
        pending = self.runner.run(m, effect)
        return None if pending is None else self._watchdog.bound(pending, type(effect).__name__)

    def spawn(self, work: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task
