"""`session-fsm run`: scenarios against the real objects, and clear errors for bad files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from session_fsm import _cli as cli
from session_fsm._scenario import ScenarioError, parse, run

from .conftest import short_recordings

ISSUE_EXAMPLE: dict[str, Any] = {
    "job": True,
    "sessions": {"host": {"role": "auto", "record": True}, "t1": {"role": "secondary"}},
    "steps": [
        {"op": "start", "session": "host"},
        {"op": "start", "session": "t1"},
        {
            "op": "concurrent",
            "steps": [{"op": "close", "session": "host"}, {"op": "start", "session": "t2"}],
        },
        {"op": "drain", "session": "t1"},
        {"op": "promote", "session": "t1"},
        {"op": "wait", "seconds": 0.05},
    ],
}


@short_recordings
async def test_the_issue_example_runs_against_the_real_objects(
    span_exporter: InMemorySpanExporter,
) -> None:
    out = await run(parse(ISSUE_EXAMPLE), span_exporter)
    steps = out["steps"]
    assert [s["op"] for s in steps] == [
        "start",
        "start",
        "close",
        "start",
        "drain",
        "promote",
        "wait",
    ]
    assert steps[0] == steps[0] | {"index": 0, "session": "host", "ok": True, "state": "primary"}
    assert steps[2]["concurrent"] == steps[3]["concurrent"] == 1
    assert steps[5]["ok"] is False and steps[5]["error"]["code"] == "invalid_transition"
    final = out["final"]
    assert final["sessions"]["host"] == "closed" and final["sessions"]["t1"] == "draining"
    assert final["job_primary"] == final["ownership"]["holder"]
    host_spans = [s for s in final["spans"] if s["session"] == "host"]
    assert len(host_spans) == 1 and host_spans[0]["ended"]
    assert host_spans[0]["attributes"]["lk.session.role"] == "primary"
    [recording] = final["recordings"]
    assert recording["session"] == "host" and recording["bytes"] > 200
    assert Path(recording["path"]).read_bytes()[:4] == b"OggS"
    assert out["violations"] == []


def test_cli_run_prints_json_and_exits_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"steps": [{"op": "start", "session": "a"}]}))
    assert cli.main(["run", str(path)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["steps"][0]["state"] == "primary" and out["final"]["job_primary"] is None


BAD: list[tuple[object, str]] = [
    ([], "scenario: must be an object, got []"),
    ({"steps": []}, "scenario.steps: must be a non-empty list"),
    ({"steps": [{"op": "fly"}]}, 'scenario.steps[0].op: unknown op "fly"'),
    ({"steps": [{"op": "start"}]}, "scenario.steps[0].session: missing"),
    ({"steps": [{"op": "start", "session": ""}]}, "scenario.steps[0].session: must be a non-empty"),
    ({"steps": [{"op": "wait", "seconds": -1}]}, "scenario.steps[0].seconds"),
    ({"steps": [{"op": "wait", "seconds": "1"}]}, "scenario.steps[0].seconds"),
    ({"job": "yes", "steps": [{"op": "wait", "seconds": 0}]}, "scenario.job: must be true"),
    (
        {"steps": [{"op": "concurrent", "steps": [{"op": "start", "session": 3}]}]},
        "scenario.steps[0].steps[0].session",
    ),
    (
        {"sessions": {"a": {"role": "boss"}}, "steps": [{"op": "start", "session": "a"}]},
        "scenario.sessions.a.role: must be one of auto, primary, secondary",
    ),
    (
        {"sessions": {"a": {"record": "on"}}, "steps": [{"op": "start", "session": "a"}]},
        "scenario.sessions.a.record",
    ),
    (
        {
            "sessions": {"a": {"exporter": {"kind": "s3"}}},
            "steps": [{"op": "start", "session": "a"}],
        },
        "scenario.sessions.a.exporter.kind",
    ),
    (
        {
            "sessions": {"a": {"exporter": {"kind": "http", "url": "ftp://x"}}},
            "steps": [{"op": "start", "session": "a"}],
        },
        "scenario.sessions.a.exporter.url",
    ),
    (
        {"steps": [{"op": "start", "session": "a", "extra": 1}]},
        "scenario.steps[0].extra: unknown field",
    ),
    (
        {"sessions": {"a": {"record": True}}, "steps": [{"op": "start", "session": "a"}]},
        'needs "job": true',
    ),
]


@pytest.mark.parametrize(("document", "message"), BAD, ids=[m for _, m in BAD])
def test_invalid_scenarios_name_the_field(document: object, message: str) -> None:
    with pytest.raises(ScenarioError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse(document)


@pytest.mark.parametrize("content", ["{not json", json.dumps({"steps": [{"op": "fly"}]})])
def test_cli_exits_2_with_one_line_for_a_bad_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    assert cli.main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "invalid scenario" in err


def test_cli_exits_2_for_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["run", str(tmp_path / "nope.json")]) == 2
    assert "cannot read" in capsys.readouterr().err
