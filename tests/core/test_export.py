"""The table exported as JSON for the TypeScript package: complete, fresh, and faithful."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from session_fsm import _cli as cli
from session_fsm.fsm import (
    Close,
    Closed,
    Drain,
    Event,
    Promote,
    Scope,
    Start,
    Started,
    StartFailed,
)
from session_fsm.fsm import _export as export
from session_fsm.fsm._events import event_name
from session_fsm.fsm._states import Role
from session_fsm.fsm._table import TABLE, Flag
from session_fsm.fsm.errors import ERROR_CODES, SessionLifecycleError
from session_fsm.testing._traces import effect_json, scope_json, traces

ROOT = Path(__file__).parents[2]
COMMITTED = ROOT / "js" / "packages" / "session-fsm" / "table.json"


def test_committed_export_is_current() -> None:
    assert not export.write(COMMITTED, check=True), "run `make table`"


def test_every_row_is_exported_with_its_names() -> None:
    doc = export.table_document()
    assert len(doc["rows"]) == len(TABLE.rows)
    for row, out in zip(TABLE.rows, doc["rows"], strict=True):
        assert out["event"] == event_name(row.event)
        assert out["guard"] == row.guard.__name__
        assert out["plan"] == (row.plan.__name__ if row.plan else None)
        assert out["refuse"] == (row.refuse.__name__ if row.refuse else None)
        assert sum(doc["flags"][f] for f in out["sets"]) == int(row.sets)
    named = {r["guard"] for r in doc["rows"]}
    assert set(doc["guards"]) == named
    assert set(doc["plans"]) >= {r["plan"] for r in doc["rows"] if r["plan"]}
    assert {e["code"] for e in doc["errors"]} == set(ERROR_CODES)
    assert doc["flags"] == {(f.name or "").lower(): int(f) for f in Flag if f}


def _fill(template: str, **values: str) -> str:
    for name, value in values.items():
        template = template.replace("{" + name + "}", value)
    return template


@pytest.mark.parametrize(
    ("event", "variant"),
    [
        (Start("s2", Role.PRIMARY), "start"),
        (Promote("s2"), "promote"),
        (Start("s2", record=True), "held.record"),
        (Start("s2", Role.SECONDARY, host=True), "asked.host"),
    ],
)
def test_message_templates_render_the_refusals_own_messages(event: object, variant: str) -> None:
    scope = Scope()
    scope.handle(Start("s1"))
    scope.handle(Started("s1"))
    if isinstance(event, Promote):
        scope.handle(Start("s2"))
        scope.handle(Started("s2"))
    with pytest.raises(SessionLifecycleError) as refused:
        scope.handle(event)  # type: ignore[arg-type]
    messages = export.table_document()["messages"]
    name = (
        "refuse_primary_conflict"
        if variant in ("start", "promote")
        else ("refuse_secondary_features")
    )
    want = messages["refusals"][name][variant]
    holder = _fill(messages["holder"]["managed"], who="s1", ownership="held")
    assert refused.value.code == want["code"]
    assert refused.value.message == _fill(want["template"], session="s2", holder=holder)


def test_cli_export_table_writes_then_checks(tmp_path: Path) -> None:
    path = tmp_path / "table.json"
    assert cli.main(["export-table", str(path), "--check"]) == 1
    assert not path.exists()
    assert cli.main(["export-table", str(path)]) == 0
    assert cli.main(["export-table", str(path), "--check"]) == 0
    path.write_text(path.read_text().replace('"always"', '"never"', 1))
    assert cli.main(["export-table", str(path), "--check"]) == 1


def test_traces_record_what_the_core_answered() -> None:
    """Replaying a trace through a fresh Python scope gives back every recorded answer."""
    found = list(traces(1))
    assert len(found) > 10
    for trace in found:
        scope = Scope()
        scope.add("s1")
        for step in trace["steps"]:
            event = _EVENTS[step["event"]["name"]](step["event"])
            try:
                got: dict[str, Any] = {"effects": [effect_json(e) for e in scope.handle(event)]}
            except SessionLifecycleError as error:
                got = {"error": {"code": error.code, "message": error.message}}
            assert got == {k: v for k, v in step.items() if k in ("effects", "error")}
            assert scope_json(scope) == step["after"]


def _start(e: dict[str, Any]) -> Start:
    return Start(e["session"], Role(e["role"]), e["record"], e["host"], e["exporter"])


_EVENTS: dict[str, Callable[[dict[str, Any]], Event]] = {
    "start": _start,
    "started": lambda e: Started(e["session"]),
    "start_failed": lambda e: StartFailed(e["session"], e["completed"]),
    "drain": lambda e: Drain(e["session"]),
    "close": lambda e: Close(e["session"]),
    "closed": lambda e: Closed(e["session"]),
    "promote": lambda e: Promote(e["session"]),
}
