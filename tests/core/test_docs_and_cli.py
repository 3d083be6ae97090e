"""Diagrams and docs come from the table; the CLI reports and exits as documented."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from session_fsm import _cli as cli
from session_fsm import _docs as docs
from session_fsm.fsm import _diagram as diagram
from session_fsm.fsm._states import OwnershipState, SessionState
from session_fsm.fsm._table import ROWS

ROOT = Path(__file__).parents[2]


def test_generated_docs_are_current() -> None:
    stale = docs.generate(ROOT / "docs", embed=ROOT / "docs" / "rules.md", check=True)
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
    assert "s_active" not in text  # no state marked as current (nor styled at all)


_LABEL = r"[a-z_]+(, [a-z_]+)*( \[[a-z ]+\])?( / [a-z_+\- ]+)?"
_MERMAID_LINE = {
    "state": re.compile(r'  state "([a-z_]+)" as ([a-z_]+)'),
    "edge": re.compile(rf"  (\[\*\]|[a-z_]+) --> ([a-z_]+)(: {_LABEL}( \| {_LABEL})*)?"),
}


@pytest.mark.parametrize("machine", ["session", "ownership"])
def test_mermaid_is_well_formed(machine: diagram.MachineName) -> None:
    """A strict structural check of the stateDiagram-v2 subset the generator writes: front
    matter, header, one declaration per state, edges between declared states with labels made
    of events, guards in brackets and changes after a slash (no ':' ';' '#' quotes or braces,
    which end or break a Mermaid label), no styling, no trailing spaces, no blank lines."""
    lines = diagram.render(machine, "mermaid").splitlines()
    assert lines[:2] == ["---", f"title: {diagram.TITLES[machine]}"]
    assert lines[2:5] == ["---", "stateDiagram-v2", "  direction LR"]
    declared: set[str] = set()
    edges = 0
    for line in lines[5:]:
        assert line == line.rstrip() and line.strip(), f"blank or trailing space: {line!r}"
        if m := _MERMAID_LINE["state"].fullmatch(line):
            assert m.group(1) == m.group(2) and m.group(1) not in declared
            declared.add(m.group(1))
        elif m := _MERMAID_LINE["edge"].fullmatch(line):
            assert m.group(1) in declared | {"[*]"} and m.group(2) in declared, line
            edges += 1
        else:
            raise AssertionError(f"not a line of the generated Mermaid subset: {line!r}")
    states = SessionState if machine == "session" else OwnershipState
    assert declared == {s.value for s in states}
    assert lines[-1] in (f"  [*] --> {s.value}" for s in states)
    assert edges > len(declared)


MERMAID_PARSER = ROOT / ".venv" / "mermaid" / "parse.mjs"


def test_mermaids_own_parser_accepts_every_generated_diagram(tmp_path: Path) -> None:
    """The generated diagrams parse with Mermaid itself, run by node; a broken diagram is
    rejected in the same run, so the check cannot pass vacuously."""
    if not (MERMAID_PARSER.parent / ".installed").exists():
        pytest.fail("Mermaid's parser is not installed: run `make mermaid` (make test does)")
    files = []
    machines: tuple[diagram.MachineName, ...] = ("session", "ownership")
    for machine in machines:
        path = tmp_path / f"{machine}.mmd"
        path.write_text(diagram.render(machine, "mermaid"))
        files.append(path)
    broken = tmp_path / "broken.mmd"
    broken.write_text("stateDiagram-v2\n  created --> starting: start: [x] ; y\n  closed -->\n")
    run = subprocess.run(
        ["node", str(MERMAID_PARSER), *map(str, files), str(broken)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = run.stdout.splitlines()
    assert lines[:2] == [f"{f}: ok stateDiagram" for f in files], run.stdout + run.stderr
    assert run.returncode == 1 and lines[2].startswith(f"{broken}: Parse error")


def test_every_drawn_row_is_an_edge_label() -> None:
    text = diagram.render("session", "mermaid")
    for source, target, label in diagram.edge_labels():
        line = next(x for x in text.splitlines() if x.startswith(f"  {source} --> {target}: "))
        assert label in line.split(": ", 1)[1].split(" | ")


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
