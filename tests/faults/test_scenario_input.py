"""`session-fsm run` meets hostile files: exit 2 and one line naming what is wrong; never a
traceback, never a step quietly dropped or replaced."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from session_fsm import _cli as cli
from session_fsm._scenario import ScenarioError, load, parse

START = {"op": "start", "session": "a"}


def _run(tmp_path: Path, data: bytes, capsys: pytest.CaptureFixture[str]) -> str:
    path = tmp_path / "hostile.json"
    path.write_bytes(data)
    assert cli.main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("session-fsm run: invalid scenario: "), err
    assert len(err) < 400, err[:400]
    return err


HOSTILE_FILES: list[tuple[str, bytes, str]] = [
    (
        "latin-1",
        '{"steps": [{"op": "start", "session": "café"}]}'.encode("latin-1"),
        "not UTF-8 text (byte 0xe9",
    ),
    ("utf-16", json.dumps({"steps": [START]}).encode("utf-16"), "not UTF-8 text"),
    ("nested a hundred thousand deep", b"[" * 100_000 + b"]" * 100_000, "nested deeper"),
    (
        "nested beside the steps",
        json.dumps({"steps": [START], "x": 0}).replace("0", "[" * 40 + "]" * 40).encode(),
        "nested deeper",
    ),
    ("NaN", b'{"steps": [{"op": "wait", "seconds": NaN}]}', "NaN is not a JSON number"),
    ("Infinity", b'{"steps": [{"op": "wait", "seconds": -Infinity}]}', "-Infinity is not"),
    ("1e999", b'{"steps": [{"op": "wait", "seconds": 1e999}]}', "1e999 is too large"),
    (
        "five thousand digits",
        b'{"steps": [{"op": "wait", "seconds": ' + b"9" * 5000 + b"}]}",
        "integer of 5000 digits is too large",
    ),
    (
        "steps given twice",
        b'{"steps": [{"op": "start", "session": "a"}], "steps": [{"op": "wait", "seconds": 0}]}',
        'the key "steps" appears twice',
    ),
    (
        "two megabytes",
        json.dumps({"steps": [START]}).encode() + b" " * (2 << 20),
        "larger than 1 MiB",
    ),
]


@pytest.mark.parametrize(
    ("data", "message"), [c[1:] for c in HOSTILE_FILES], ids=[c[0] for c in HOSTILE_FILES]
)
def test_hostile_files_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes, message: str
) -> None:
    assert message in _run(tmp_path, data, capsys)


def _wait(seconds: float) -> dict[str, Any]:
    return {"op": "wait", "seconds": seconds}


HOSTILE_DOCUMENTS: list[tuple[str, dict[str, Any], str]] = [
    (
        "concurrent inside concurrent (its steps would be dropped)",
        {"steps": [{"op": "concurrent", "steps": [{"op": "concurrent", "steps": [START]}]}]},
        "scenario.steps[0].steps[0].op: must be a step inside a concurrent step, itself not",
    ),
    ("a thousand and one steps", {"steps": [_wait(0)] * 1001}, "more than 1000"),
    (
        "a thousand steps in concurrent groups",
        {"steps": [{"op": "concurrent", "steps": [_wait(0)] * 100}] * 10},
        "more than 1000 steps in all",
    ),
    (
        "per_participant twice (the first fan-out would be left running)",
        {"steps": [{"op": "per_participant"}, {"op": "per_participant"}]},
        "per_participant appears more than once",
    ),
    ("waits adding up to ten minutes", {"steps": [_wait(60)] * 10}, "waits add up to 600 s"),
    (
        "a control character in a name",
        {"steps": [{"op": "start", "session": "a\nb"}]},
        "scenario.steps[0].session: must be a name of 1 to 64 characters",
    ),
    (
        "a C1 control character in a name",
        {"steps": [{"op": "start", "session": "a\u009bb"}]},
        "scenario.steps[0].session: must be a name",
    ),
    (
        "a lone surrogate in a name",
        {"steps": [{"op": "join", "participant": "\ud800"}]},
        "scenario.steps[0].participant: must be a name",
    ),
    (
        "a name of ten thousand characters",
        {"steps": [{"op": "start", "session": "a" * 10_000}]},
        "scenario.steps[0].session: longer than 64 characters",
    ),
    (
        "a session declared under an empty name",
        {"sessions": {"": {}}, "steps": [START]},
        'scenario.sessions: the key "" is not a name of 1 to 64 characters',
    ),
    ("a number for a flag", {"job": 1, "steps": [START]}, "scenario.job: must be true or false"),
    (
        "a list for the options",
        {"sessions": {"a": []}, "steps": [START]},
        "scenario.sessions.a: must be an object",
    ),
    (
        "a key with a newline",
        {"steps": [START], "a\nb": 1},
        'scenario["a\\nb"]: unknown field',
    ),
    (
        "a key of a million characters",
        {"steps": [START], "k" * 1_000_000: 1},
        'scenario["kkkkkkkkkk',
    ),
    (
        "bad options under a bad name",
        {"sessions": {"x\ny": {"role": "boss"}}, "steps": [START]},
        "scenario.sessions",
    ),
    (
        "a path with a NUL",
        {
            "sessions": {"a": {"exporter": {"kind": "directory", "path": "x\u0000"}}},
            "steps": [START],
        },
        "scenario.sessions.a.exporter.path: must be a non-empty text without control",
    ),
]


@pytest.mark.parametrize(
    ("document", "message"),
    [c[1:] for c in HOSTILE_DOCUMENTS],
    ids=[c[0] for c in HOSTILE_DOCUMENTS],
)
def test_hostile_documents_are_refused_naming_the_field(
    document: dict[str, Any], message: str
) -> None:
    with pytest.raises(ScenarioError) as refused:
        parse(document)
    assert message in str(refused.value)


def test_hostile_documents_exit_2_from_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for _, document, message in HOSTILE_DOCUMENTS:
        assert message in _run(tmp_path, json.dumps(document).encode(), capsys)


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"steps": [START]}).encode())
    assert [step.op for step in load(path).steps] == ["start"]


def test_a_directory_is_not_a_scenario(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["run", str(tmp_path)]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_the_documented_examples_are_valid() -> None:
    root = Path(__file__).parents[2]
    page = (root / "docs" / "scenarios.md").read_text()
    blocks = [b.split("```", 1)[0] for b in page.split("```json\n")[1:]]
    assert blocks
    for block in blocks:
        parse(json.loads(block))
    load(root / "tests" / "foreign_project" / "handoff.json")
