"""The fault suite is not vacuous: without the compensation of a failed start, it fails."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import Flaky
from hypothesis.stateful import run_state_machine_as_test

from session_fsm.fsm import _table as t
from session_fsm.fsm._events import StartFailed
from session_fsm.fsm._states import SessionState
from session_fsm.testing._lifecycle import LifecycleMachine

FAILED_CLAIM = next(
    r
    for r in t.ROWS
    if r.source is SessionState.STARTING and r.event is StartFailed and r.guard is t.claimed_start
)


class Uncompensated(LifecycleMachine):
    with_faults = True
    table = t.TABLE.replace(FAILED_CLAIM, attrs.evolve(FAILED_CLAIM, plan=None))


def test_the_fault_suite_catches_a_missing_compensation() -> None:
    with pytest.raises((AssertionError, Flaky, ExceptionGroup)):
        run_state_machine_as_test(
            Uncompensated,
            settings=settings(
                max_examples=200,
                stateful_step_count=20,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            ),
        )
