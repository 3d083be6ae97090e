"""Hypothesis strategies for lifecycle events and whole scenarios.

- `start_events(key)`, `events(keys)`: core events, for driving a `Scope` directly.
- `scenarios()`: scenario documents for `session_fsm._scenario` (what `session-fsm run` reads),
  for fuzzing lifecycles against the real objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from ..fsm._events import Close, Closed, Drain, Promote, SessionEvent, Start, Started, StartFailed
from ..fsm._states import Role
from ..fsm.errors import InvalidInput


def start_events(key: str) -> st.SearchStrategy[Start]:
    """Every shape of start of session `key`: any role, record, host and exporter.

    Raises:
        SessionLifecycleError: `invalid_input` when `key` is not a str.
    """
    if not isinstance(key, str):
        raise InvalidInput(f"start_events: key must be a str, got {key!r}")
    return st.builds(
        Start,
        session=st.just(key),
        role=st.sampled_from(Role),
        record=st.sampled_from([None, True, False]),
        host=st.sampled_from([None, True, False]),
        exporter=st.booleans(),
    )


def events(keys: Sequence[str] = ("s1", "s2", "s3")) -> st.SearchStrategy[SessionEvent]:
    """Any session event on one of `keys`, the runtime's reports included.

    Raises:
        SessionLifecycleError: `invalid_input` when `keys` is not a non-empty sequence of str.
    """
    if isinstance(keys, str) or not keys or not all(isinstance(k, str) for k in keys):
        raise InvalidInput(f"events: keys must be a non-empty sequence of str, got {keys!r}")
    key = st.sampled_from(list(keys))
    simple = st.sampled_from([Started, Drain, Close, Closed, Promote])
    return st.one_of(
        key.flatmap(start_events),
        st.builds(lambda k, e: e(k), key, simple),
        st.builds(StartFailed, key, st.integers(min_value=0, max_value=8)),
    )


_SESSION_OPS = ("start", "drain", "close", "promote")


def _step(names: list[str], depth: int) -> st.SearchStrategy[dict[str, Any]]:
    session_op = st.builds(
        lambda op, name: {"op": op, "session": name},
        st.sampled_from(_SESSION_OPS),
        st.sampled_from(names),
    )
    wait = st.builds(lambda s: {"op": "wait", "seconds": s}, st.sampled_from([0, 0.001, 0.01]))
    leaf = st.one_of(session_op, session_op, session_op, wait)
    if depth == 0:
        return leaf
    concurrent = st.builds(
        lambda steps: {"op": "concurrent", "steps": steps},
        st.lists(_step(names, depth - 1), min_size=2, max_size=3),
    )
    return st.one_of(leaf, leaf, leaf, concurrent)


@st.composite
def scenarios(
    draw: st.DrawFn,
    *,
    job: bool | None = None,
    max_sessions: int = 4,
    max_steps: int = 12,
) -> dict[str, Any]:
    """A valid scenario document: some declared sessions with options, then steps on them.

    Raises:
        SessionLifecycleError: `invalid_input`, at the first draw, when `job` is not a bool or
            None, or `max_sessions` or `max_steps` not an int of 1 or more.
    """
    if job is not None and type(job) is not bool:
        raise InvalidInput(f"scenarios: job must be True, False or None, got {job!r}")
    for name, value in (("max_sessions", max_sessions), ("max_steps", max_steps)):
        if type(value) is not int or value < 1:
            raise InvalidInput(f"scenarios: {name} must be an int of 1 or more, got {value!r}")
    with_job = draw(st.booleans()) if job is None else job
    count = draw(st.integers(min_value=1, max_value=max_sessions))
    names = [f"s{i}" for i in range(count)]
    sessions = {}
    for name in draw(st.lists(st.sampled_from(names), unique=True)):
        options: dict[str, Any] = {"role": draw(st.sampled_from([r.value for r in Role]))}
        if with_job and draw(st.booleans()):
            options["record"] = draw(st.booleans())
        sessions[name] = options
    steps = draw(st.lists(_step(names, 1), min_size=1, max_size=max_steps))
    return {"job": with_job, "sessions": sessions, "steps": steps}
