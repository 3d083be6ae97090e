"""`session-fsm`: check the machine, draw it, generate its docs, replay scenarios, run the demo."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from . import docs
from .fsm import diagram
from .fsm.explorer import Explorer


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="session-fsm", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check", help="explore every interleaving and check the invariants")
    check.add_argument("--sessions", type=_positive, default=3, help="sessions in the scope")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.add_argument(
        "--no-reduce", action="store_true", help="explore the full graph (no reductions)"
    )

    draw = sub.add_parser("diagram", help="print a state diagram drawn from the table")
    draw.add_argument("--format", choices=("mermaid", "dot"), default="mermaid")
    draw.add_argument("--machine", choices=("session", "ownership"), default="session")

    gen = sub.add_parser("docs", help="regenerate docs/ and the README diagram from the table")
    gen.add_argument("--check", action="store_true", help="fail if the docs are stale")
    gen.add_argument("--root", type=Path, default=Path.cwd(), help=argparse.SUPPRESS)

    export = sub.add_parser("export-table", help="write the table as JSON for other runtimes")
    export.add_argument("path", type=Path, help="where the JSON document goes")
    export.add_argument("--check", action="store_true", help="fail if the document is stale")

    run = sub.add_parser("run", help="replay a scenario against real livekit objects")
    run.add_argument("scenario", type=Path, help="scenario JSON file")

    sub.add_parser("demo", help="run the bundled scenarios and print their timelines")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "check":
        return _check(args.sessions, as_json=args.json, reduce=not args.no_reduce)
    if args.command == "diagram":
        print(diagram.render(args.machine, args.format), end="")
        return 0
    if args.command == "run":
        from .scenario import run_file

        return run_file(args.scenario)
    if args.command == "export-table":
        return _export_table(args.path, check=args.check)
    if args.command == "demo":
        from .demo import main as demo

        return demo()
    stale = docs.generate(args.root, check=args.check)
    if args.check and stale:
        print(f"stale generated docs: {', '.join(stale)}; run `make docs`", file=sys.stderr)
        return 1
    for path in stale:
        print(f"wrote {path}")
    return 0


def _export_table(path: Path, *, check: bool) -> int:
    from .fsm import export

    stale = export.write(path, check=check)
    if check and stale:
        print(f"stale table export: {path}; run `make table`", file=sys.stderr)
        return 1
    if stale:
        print(f"wrote {path}")
    return 0


def _check(sessions: int, *, as_json: bool, reduce: bool) -> int:
    began = time.perf_counter()
    report = Explorer(sessions).run(reduce=reduce)
    seconds = time.perf_counter() - began
    if as_json:
        print(json.dumps({**report.to_dict(), "seconds": round(seconds, 3)}, indent=2))
    else:
        print(
            f"sessions={report.sessions} states={report.states} "
            f"transitions={report.transitions} refusals={report.refusals} "
            f"violations={0 if report.ok else 1} seconds={seconds:.2f}"
        )
        if not report.ok:
            print(f"violation: {report.violation}")
            print("shortest trace:")
            for i, label in enumerate(report.trace, 1):
                print(f"  {i:2}. {label}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
