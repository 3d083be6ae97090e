"""Neither checker can pass vacuously: each catches deliberately broken tables."""

from __future__ import annotations

from collections.abc import Callable

import attrs
import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import Flaky
from hypothesis.stateful import run_state_machine_as_test

from session_fsm.fsm import _effects as fx
from session_fsm.fsm import _table as t
from session_fsm.fsm._events import Close, Closed, Start, StartFailed
from session_fsm.fsm._explorer import explore
from session_fsm.fsm._states import SessionState
from session_fsm.testing import core_machine


def _row(source: SessionState, event: type, guard: Callable[..., bool]) -> t.Row:
    return next(r for r in t.ROWS if r.source is source and r.event is event and r.guard is guard)


def _close_without(kind: type[fx.Effect]) -> t.Plan:
    def plan_primary_close_broken(scope, s, e):  # type: ignore[no-untyped-def]
        return tuple(x for x in t.plan_primary_close(scope, s, e) if type(x) is not kind)

    return plan_primary_close_broken


def _span_end_before_export(scope, s, e):  # type: ignore[no-untyped-def]
    plan = list(t.plan_primary_close(scope, s, e))
    end = next(x for x in plan if type(x) is fx.EndSpan)
    plan.remove(end)
    plan.insert(1, end)
    return tuple(plan)


def _secondary_keeps_the_designation(scope, s, e):  # type: ignore[no-untyped-def]
    """livekit makes a secondary that starts while nobody holds the designation the job's
    primary: a plan that does not ask for it to be put back leaves it there."""
    return tuple(
        attrs.evolve(x, designation=True) if type(x) is fx.StartSession else x
        for x in t.plan_secondary_start(scope, s, e)
    )


def _secondary_moves_the_folder(scope, s, e):  # type: ignore[no-untyped-def]
    """A secondary whose start asks livekit to record points the job's recording folder at its
    own, under the primary's recording."""
    return tuple(
        attrs.evolve(x, record=True) if type(x) is fx.StartSession else x
        for x in t.plan_secondary_start(scope, s, e)
    )


PRIMARY_CLOSE = _row(SessionState.PRIMARY, Close, t.always)
FAILED_CLAIM = _row(SessionState.STARTING, StartFailed, t.claimed_start)
VACANT_START = _row(SessionState.CREATED, Start, t.wants_primary_and_vacant)
SECONDARY_START = _row(SessionState.CREATED, Start, t.always)

#: name -> broken table. Each breaks one promise the invariants keep.
MUTANTS: dict[str, t.Table] = {
    "close keeps the host handler": t.TABLE.replace(
        PRIMARY_CLOSE, attrs.evolve(PRIMARY_CLOSE, plan=_close_without(fx.UnregisterHost))
    ),
    "close keeps the designation": t.TABLE.replace(
        PRIMARY_CLOSE, attrs.evolve(PRIMARY_CLOSE, plan=_close_without(fx.ReleasePrimary))
    ),
    "span ends before the export": t.TABLE.replace(
        PRIMARY_CLOSE, attrs.evolve(PRIMARY_CLOSE, plan=_span_end_before_export)
    ),
    "a failed start is not compensated": t.TABLE.replace(
        FAILED_CLAIM, attrs.evolve(FAILED_CLAIM, plan=None)
    ),
    "auto claims whatever the scope": t.TABLE.replace(
        VACANT_START, attrs.evolve(VACANT_START, guard=t.always)
    ),
    "a secondary keeps the designation its start was given": t.TABLE.replace(
        SECONDARY_START, attrs.evolve(SECONDARY_START, plan=_secondary_keeps_the_designation)
    ),
    "a secondary's start moves the recording folder": t.TABLE.replace(
        SECONDARY_START, attrs.evolve(SECONDARY_START, plan=_secondary_moves_the_folder)
    ),
    "closed does not vacate": t.TABLE.replace(
        _row(SessionState.DRAINING, Closed, t.closing_holder), None
    ),
}


@pytest.mark.parametrize("name", list(MUTANTS))
def test_the_explorer_catches(name: str) -> None:
    report = explore(2, table=MUTANTS[name])
    assert not report.ok, f"the explorer missed: {name}"
    assert report.trace, "a violation comes with its trace"


@pytest.mark.parametrize("name", list(MUTANTS))
def test_the_hypothesis_machine_catches(name: str) -> None:
    machine = core_machine(MUTANTS[name], sessions=2)
    with pytest.raises((AssertionError, Flaky, ExceptionGroup)):
        run_state_machine_as_test(
            machine,
            settings=settings(
                max_examples=400,
                stateful_step_count=40,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
                derandomize=True,
                phases=[Phase.generate],  # detection is the point; shrinking only costs time
            ),
        )
