"""Diagrams and docs come from the table; the CLI reports and exits as documented."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from session_fsm import cli, docs
from session_fsm.fsm import diagram
from session_fsm.fsm.states import OwnershipState, SessionState
from session_fsm.fsm.table import ROWS

ROOT = Path(__file__).parents[2]


def test_generated_docs_are_current() -> None:
    stale = docs.generate(ROOT / "docs", embed=ROOT / "README.md", check=True)
    assert stale == [], "run `make docs`"


def test_the_table_is_structurally_sound() -> None:
    assert diagram.validate() == []


@pytest.mark.parametrize("machine", ["session", "ownership"])
def test_mermaid_has_every_state_and_a_real_title(machine: str) -> None:
    text = diagram.render(machine, "mermaid")  # type: ignore[arg-type]
    assert text.startswith("---\ntitle: ")
    states = SessionState if machine == "session" else OwnershipState
    for state in states:
        assert f'state "{state.value}" as {state.value}' in text
    assert "s_active" not in text.split("classDef s_active", 1)[1]


def test_dot_lists_every_drawn_transition() -> None:
    text = diagram.render("session", "dot")
    assert text.startswith("digraph")
    drawn = {(r.source.value, r.target.value) for r in ROWS if r.target and not r.is_noop}
    for src, dst in drawn:
        assert f"{src} -> {dst}" in text


def test_cli_check_prints_counts_and_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check", "--sessions", "2", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["violations"] == 0 and report["states"] > 1000


def test_cli_diagram(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["diagram", "--format", "dot", "--machine", "ownership"]) == 0
    assert "vacant -> claimed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [["check", "--sessions", "0"], ["check", "--sessions", "x"], ["diagram", "--format", "svg"]],
)
def test_cli_rejects_bad_flags(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(argv)
    assert exited.value.code == 2
    assert "error:" in capsys.readouterr().err
