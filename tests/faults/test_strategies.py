"""The kit's strategies: valid by construction, and useful (they drive the real runner)."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from session_fsm._scenario import parse, run
from session_fsm.fsm import Scope, SessionLifecycleError
from session_fsm.fsm._events import SessionEvent
from session_fsm.testing import events, in_memory_spans, scenarios


@settings(max_examples=200, deadline=None)
@given(st.lists(events(), max_size=30))
def test_any_event_sequence_applies_or_is_refused_without_a_trace(
    sequence: list[SessionEvent],
) -> None:
    scope = Scope()
    for event in sequence:
        before = scope.snapshot()
        try:
            scope.handle(event)
        except SessionLifecycleError:
            assert scope.snapshot() == before


@settings(max_examples=100, deadline=None)
@given(scenarios())
def test_generated_scenarios_are_valid(document: dict[str, Any]) -> None:
    parse(document)


@settings(max_examples=12, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(scenarios(job=True, max_steps=8))
def test_generated_scenarios_keep_the_invariants_on_the_real_objects(
    document: dict[str, Any],
) -> None:
    out = asyncio.run(run(parse(document), in_memory_spans()))
    assert out["violations"] == [], (document, out["violations"])
