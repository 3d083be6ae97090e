"""Fault injection around every adapter: any effect can raise, hang past its timeout, or be
cancelled, before it does anything (an effect either happens whole or not at all).

Faults are transient: an effect that failed succeeds when the runtime tries it again (it retries
cleanup effects), the way a flaky dependency behaves. A permanent failure of a cleanup is out of
any library's hands; the runtime then reports it on the span and in the session's errors."""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Callable

import attrs

from .._runtime.coordinator import SessionCoordinator
from .._runtime.effects import AWAITING, Executor, execute
from .._runtime.managed import Managed
from ..fsm import _effects as fx
from ..fsm.errors import InvalidInput


class Fault(enum.Enum):
    """What goes wrong with one effect (`inject`): nothing, it raises, it hangs past the
    coordinator's `effect_timeout`, or it is cancelled."""

    NONE = "none"
    RAISE = "raise"
    HANG = "hang"
    CANCEL = "cancel"


class InjectedFault(RuntimeError):
    """The failure a `Fault.RAISE` injects."""


Decide = Callable[[fx.Effect], Fault]


@attrs.define
class FaultyExecutor:
    """Wraps the coordinator's executor; `decide(effect)` says what goes wrong."""

    inner: Executor
    decide: Decide
    injected: list[tuple[str, str, Fault]] = attrs.Factory(list)
    _failed: set[fx.Effect] = attrs.Factory(set)

    async def run(self, m: Managed, effect: fx.Effect) -> None:
        if effect in self._failed:  # transient: the retry goes through
            self._failed.discard(effect)
            fault = Fault.NONE
        else:
            fault = self.decide(effect)
        if fault is Fault.HANG and type(effect) not in AWAITING:
            fault = Fault.RAISE  # a synchronous effect cannot hang; it can fail
        if fault is not Fault.NONE:
            self._failed.add(effect)
        if fault is not Fault.NONE:
            self.injected.append((m.key, type(effect).__name__, fault))
        if fault is Fault.RAISE:
            raise InjectedFault(f"injected failure in {type(effect).__name__} of {m.key!r}")
        if fault is Fault.CANCEL:
            raise asyncio.CancelledError
        if fault is Fault.HANG:
            await asyncio.Event().wait()  # cut by the coordinator's effect_timeout
        await execute(self.inner, m, effect)


def inject(coord: SessionCoordinator, decide: Decide) -> FaultyExecutor:
    """Put a fault layer around `coord`'s adapters; returns it (its `injected` log included).
    `decide(effect)` says what goes wrong with each effect the coordinator runs from then on.

    Raises:
        SessionLifecycleError: `invalid_input` when `coord` is not a `SessionCoordinator` or
            `decide` is not callable.
    """
    if not isinstance(coord, SessionCoordinator):
        raise InvalidInput(f"inject takes a SessionCoordinator, got {coord!r}")
    if not callable(decide):
        raise InvalidInput(f"inject: decide must be callable, got {decide!r}")
    faulty = FaultyExecutor(coord.runner, decide)
    coord.runner = faulty
    return faulty
