"""Nothing about the machine is written twice: what is derived from the table is checked here,
and a new event, effect or state that some part does not handle fails loudly."""

from __future__ import annotations

import attrs
import pytest

from session_fsm._runtime.effects import ADAPTERS, EffectRunner
from session_fsm.fsm import _effects as fx
from session_fsm.fsm import _table as t
from session_fsm.fsm._events import CALLER_EVENTS, REPORT_EVENTS, SESSION_EVENTS, event_name
from session_fsm.fsm._explorer import Explorer, explore
from session_fsm.fsm._machine import SessionRecord, SessionSnapshot
from session_fsm.fsm._states import AT_REST, Role, SessionState
from session_fsm.fsm._world import World, WorldSnapshot
from session_fsm.fsm.errors import SessionLifecycleError
from session_fsm.testing import core_machine
from session_fsm.testing._lifecycle import LifecycleMachine


@attrs.frozen
class Pause:
    """An event the table could grow that nothing feeds yet."""

    session: str


@attrs.frozen
class Teleport:
    """An effect the table could grow that nothing runs yet."""

    session: str


def test_the_explorer_feeds_every_event_the_table_names() -> None:
    report = explore(2)
    named = {event_name(row.event) for row in t.ROWS}
    assert named == set(report.events)
    assert all(report.events[name] > 0 for name in named), report.events


def test_every_session_event_is_a_caller_event_or_a_report() -> None:
    assert set(CALLER_EVENTS) | set(REPORT_EVENTS) == set(SESSION_EVENTS)
    assert not set(CALLER_EVENTS) & set(REPORT_EVENTS)


def test_a_table_naming_an_event_nothing_feeds_fails_loudly() -> None:
    row = t.Row(SessionState.PRIMARY, Pause, t.always, SessionState.PRIMARY)  # type: ignore[arg-type]
    table = t.Table(rows=(*t.ROWS, row))
    with pytest.raises(SessionLifecycleError, match="Pause") as caught:
        Explorer(2, table=table)
    assert caught.value.code == "invalid_input"
    with pytest.raises(SessionLifecycleError, match="Pause") as caught:
        core_machine(table, sessions=2)
    assert caught.value.code == "invalid_input"


def test_each_caller_event_is_a_rule_of_the_lifecycle_machine() -> None:
    for event in CALLER_EVENTS:
        assert callable(getattr(LifecycleMachine, event_name(event)))


def test_the_world_models_every_effect_that_does_work() -> None:
    for kind in fx.EFFECTS:
        if kind in fx.SIGNALS:
            continue
        sample = {"role": Role.PRIMARY, "record": False, "host": False, "what": "role"}
        sample["designation"] = True
        args = {f.name: sample[f.name] for f in attrs.fields(kind) if f.name != "session"}
        World().apply(kind("s1", **args))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Teleport"):
        World().apply(Teleport("s1"))  # type: ignore[arg-type]


def test_the_snapshots_carry_every_field() -> None:
    """The explorer's states are the snapshots, and its canonical form reads their fields: a field
    of a session's record or of the World that its snapshot left out would be invisible to it."""
    record = tuple(f.name for f in attrs.fields(SessionRecord) if f.name != "key")
    assert SessionSnapshot._fields == record
    # left out of the World's: its constants (not set by its constructor), and the misuses the
    # last effects made
    world = tuple(f.name for f in attrs.fields(World) if f.init and f.name != "violations")
    assert WorldSnapshot._fields == world


def test_every_effect_that_does_work_has_an_adapter_method() -> None:
    assert set(ADAPTERS) == set(fx.EFFECTS) - fx.SIGNALS
    for name in ADAPTERS.values():
        assert callable(getattr(EffectRunner, name))


def test_every_state_is_at_rest_or_has_a_start_noop() -> None:
    """The start rows are generated per state from AT_REST: every state gets one or the other."""
    for state in SessionState:
        starts = [r for r in t.ROWS if r.source is state and r.event.__name__ == "Start"]
        if state in AT_REST:
            assert any(r.target is SessionState.STARTING for r in starts)
        else:
            assert [r.is_noop for r in starts] == [True]
