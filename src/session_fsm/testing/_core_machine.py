"""A hypothesis `RuleBasedStateMachine` over the core, generated from the table.

One rule per event class the table's rows name, plus one that runs the next effect of a session's
lane. A rule's precondition is read off the rows (some session is in a state with a row for that
event), and the protocol for the runtime's reports (`started`, `start_failed`, `closed`) is the
explorer's, so the two checkers cannot disagree about what may happen. After every step the
invariants and the world's misuse checks must hold, and a refused event must leave the scope as
it was; at teardown, closing every session must end with everything closed and the scope vacant.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from ..fsm._events import SessionEvent, Start, event_name
from ..fsm._explorer import Explorer, State, Step
from ..fsm._table import TABLE, Table
from ._strategies import start_events


def core_machine(
    table: Table = TABLE, sessions: int = 3, record_default: bool = False
) -> type[RuleBasedStateMachine]:
    """Build a hypothesis state machine class that feeds `table`'s core random events on
    `sessions` sessions and checks every invariant after each (a broken table for mutation
    tests, say). It never awaits: no timeouts.

    Raises:
        SessionLifecycleError: `invalid_input` when `table` is not a `Table`, names events the
            machine cannot feed, or `sessions` is not an int of 1 or more.
    """
    explorer = Explorer(sessions, table=table, record_default=record_default)
    accepting: dict[type[SessionEvent], frozenset[Any]] = {}
    for row in table.rows:
        accepting[row.event] = accepting.get(row.event, frozenset()) | {row.source}

    def states_of(state: State) -> dict[str, Any]:
        return {key: rec.state for key, rec in state.scope.sessions}

    def _init(self: Any) -> None:
        RuleBasedStateMachine.__init__(self)
        self.state = explorer.initial
        self.trace = []
        self.broken = []

    def _take(self: Any, step: Step) -> None:
        result = explorer.apply(self.state, step)
        self.trace.append(step.label + (" (refused)" if result is None else ""))
        if result is not None:
            self.state, self.broken = result

    def make_rule(event: type[SessionEvent]) -> Callable[..., None]:
        sources = accepting[event]

        def enabled(self: Any) -> bool:
            return any(s in sources for s in states_of(self.state).values())

        if event is Start:

            @precondition(enabled)
            @rule(data=st.data())
            def on_start(self: Any, data: st.DataObject) -> None:
                keys = [k for k, s in states_of(self.state).items() if s in sources]
                key = data.draw(st.sampled_from(keys), label="session")
                ev = data.draw(start_events(key), label="start")
                _take(
                    self,
                    Step(
                        f"start({key}, {ev.role.value}, record={ev.record}, "
                        f"host={ev.host}, exporter={ev.exporter})",
                        ev,
                    ),
                )

            return on_start

        def steps(self: Any) -> list[Step]:
            return [s for s in explorer.steps(self.state) if type(s.event) is event]

        @precondition(lambda self: enabled(self) and bool(steps(self)))
        @rule(data=st.data())
        def on_event(self: Any, data: st.DataObject) -> None:
            _take(self, data.draw(st.sampled_from(steps(self)), label=event_name(event)))

        on_event.__name__ = f"on_{event_name(event)}"
        return on_event

    def lanes(self: Any) -> list[Step]:
        return [s for s in explorer.steps(self.state) if s.run is not None]

    @precondition(lambda self: bool(lanes(self)))
    @rule(data=st.data())
    def run_effect(self: Any, data: st.DataObject) -> None:
        _take(self, data.draw(st.sampled_from(lanes(self)), label="run"))

    @invariant()
    def invariants_hold(self: Any) -> None:
        assert not self.broken, f"{self.broken} after {self.trace}"

    def teardown(self: Any) -> None:
        state = self.state
        for _ in range(64 * sessions + 64):
            if explorer.is_end(state):
                return
            step = explorer.closing_step(state)
            assert step is not None, f"stuck closing every session after {self.trace}"
            result = explorer.apply(state, step)
            assert result is not None and not result[1], f"closing failed after {self.trace}"
            state = result[0]
        raise AssertionError(f"closing every session does not end after {self.trace}")

    namespace: dict[str, Any] = {
        "__init__": _init,
        "run_effect": run_effect,
        "invariants_hold": invariants_hold,
        "teardown": teardown,
    }
    events = dict.fromkeys(row.event for row in table.rows)
    for event in events:
        namespace[f"on_{event_name(event)}"] = make_rule(event)
    return type("CoreLifecycleMachine", (RuleBasedStateMachine,), namespace)
