"""Run every benchmark, print the table, write bench/results.json and docs/img/scaling.png, and
regenerate the performance section of docs/performance.md from the results."""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

from . import core, handoff, live

HERE = Path(__file__).parent
PAGE = HERE.parent / "docs" / "performance.md"
BEGIN, END = "<!-- generated:performance (make bench) -->", "<!-- /generated:performance -->"


#: (figure, measured, anchor, ratio, status): status is "yes"/"NO" for a target, "aim met"/
#: "aim missed" for an aim, "reported" for a figure with neither.
Row = tuple[str, str, str, str, str]

CYCLE_NAMES = {
    "primary": "core step, a primary's start/started/close/closed (claim, hold, release, vacate)",
    "secondary": "core step, a secondary's start/started/close/closed",
    "refusal": "core step, a refused start(role=primary) naming the holder",
}


def _holds(ok: bool) -> str:
    return "yes" if ok else "NO"


def figures(r: dict[str, Any]) -> list[Row]:
    """The figure rows, from the results."""
    s, sc, bulk, mem = r["step"], r["scaling"], r["bulk"], r["memory"]
    flat = sc["core_cycle_ns"][-1] / sc["core_cycle_ns"][0]
    rows: list[Row] = []
    for name, title in CYCLE_NAMES.items():
        c = s[name]
        rows.append(
            (
                title,
                f"{c['core_ns']:.0f} ns",
                f"dict table, same moves {c['dict_ns']:.0f} ns",
                f"{c['ratio']:.1f}x (aim <= 10x)",
                "aim met" if c["ratio"] <= 10 else "aim missed",
            )
        )
    rows += [
        (
            "transitions trigger, secondary cycle with drain",
            f"{s['transitions_ns']:.0f} ns",
            f"core secondary step {s['secondary']['core_ns']:.0f} ns",
            f"{s['transitions_ns'] / s['secondary']['core_ns']:.1f}x the core",
            "reported",
        ),
        (
            "start+close per op, 50,000 vs 10 sessions",
            f"{sc['core_cycle_ns'][-1]:.0f} ns",
            f"at 10: {sc['core_cycle_ns'][0]:.0f} ns",
            f"{flat:.2f}x (target <= 1.3x)",
            _holds(flat <= 1.3),
        ),
        (
            "add + remove 50,000 sessions",
            f"{bulk['core_s']:.3f} s",
            f"transitions {bulk['transitions_s']:.1f} s",
            f"{bulk['transitions_s'] / bulk['core_s']:.0f}x faster (target well under 1 s)",
            _holds(bulk["core_s"] < 0.5),
        ),
        (
            "memory per session at 50,000",
            f"{mem['core_bytes']:.0f} B",
            f"transitions {mem['transitions_bytes']:.0f} B/model",
            f"{mem['transitions_bytes'] / mem['core_bytes']:.1f}x less (target <= 1 KB)",
            _holds(mem["core_bytes"] <= 1024),
        ),
    ]
    # CPU time: on an idle machine it is the wall time; on a shared one, only ours
    for n, limit in ((4, 15), (5, 30)):
        e = next(e for e in r["explorer"] if e["sessions"] == n)
        rows.append(
            (
                f"explorer, {n} sessions exhaustive",
                f"{e['cpu_seconds']:.1f} s CPU ({e['seconds']:.1f} s wall), {e['states']} states",
                f"target < {limit} s CPU",
                f"{e['states_per_s']:.0f} states per CPU second",
                _holds(e["cpu_seconds"] < limit and e["complete"] and e["violations"] == 0),
            )
        )
    rows += [
        _overhead_row("coordinator start+close, voice session", r["overhead"]["voice"]),
        _overhead_row("same, session without models", r["overhead"]["no_models"]),
        (
            "release -> grant of a waiting start",
            f"{r['release']['release_to_grant_passes']} loop passes",
            "target: the same pass (0)",
            f"waiter runs {r['release']['grant_to_waiter_running_passes']} passes later",
            _holds(r["release"]["release_to_grant_passes"] == 0),
        ),
        _handoff_row(r["handoff"]),
    ]
    return rows


def _handoff_row(h: dict[str, Any]) -> Row:
    """The gap must not grow with the upload: within a tenth of the upload's time of the gap
    without one (noise on a shared machine is a few ms; an upload in the gap is all of it)."""
    upload_ms = h["upload_s"] * 1e3
    slow, fast = h["gap_ms_slow_upload"], h["gap_ms_no_upload"]
    return (
        f"handoff gap (close -> next primary running), {upload_ms:.0f} ms upload",
        f"{slow:.1f} ms (max {h['gap_ms_slow_upload_max']:.1f})",
        f"no upload {fast:.1f} ms",
        f"{slow - fast:+.1f} ms (target: < {upload_ms / 10:.0f} ms, not the upload)",
        _holds(slow - fast < upload_ms / 10),
    )


def _overhead_row(name: str, o: dict[str, Any]) -> Row:
    """The median run's figures, reported: the overhead is only held under 0.5 ms."""
    extra_ms = o["coordinator_ms"] - o["bare_ms"]
    return (
        name,
        f"{o['coordinator_ms']:.2f} ms (+{extra_ms * 1e3:.0f} us)",
        f"bare livekit {o['bare_ms']:.2f} ms",
        f"{o['ratio']:.3f}x, runs {min(o['ratios']):.3f}-{max(o['ratios']):.3f} (reported)",
        _holds(extra_ms < 0.5),
    )


def table(rows: list[Row]) -> str:
    lines = ["| figure | measured | anchor (same run) | ratio | holds |", "|---|---|---|---|---|"]
    for name, measured, anchor, ratio, status in rows:
        lines.append(f"| {name} | {measured} | {anchor} | {ratio} | {status} |")
    return "\n".join(lines)


def explorer_table(r: dict[str, Any]) -> str:
    lines = [
        "| sessions | states | transitions | seconds | CPU seconds | states per CPU second |",
        "|---|---|---|---|---|---|",
    ]
    for e in r["explorer"]:
        note = "" if e["complete"] else " (capped)"
        lines.append(
            f"| {e['sessions']} | {e['states']}{note} | {e['transitions']} | "
            f"{e['seconds']:.1f} | {e['cpu_seconds']:.1f} | {e['states_per_s']:.0f} |"
        )
    return "\n".join(lines)


def plot(r: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sc = r["scaling"]
    fig, ax = plt.subplots(figsize=(8, 5))
    ax.plot(sc["sizes"], sc["core_cycle_ns"], "o-", label="core: start+close step")
    ax.plot(sc["sizes"], sc["core_add_remove_ns"], "s-", label="core: add/remove a session")
    ax.plot(sc["sizes"], sc["transitions_trigger_ns"], "o--", label="transitions: trigger")
    ax.plot(sc["sizes"], sc["transitions_add_remove_ns"], "s--", label="transitions: add/remove")
    dict_ns = r["step"]["secondary"]["dict_ns"]
    ax.axhline(dict_ns, color="grey", linestyle=":", label="dict-table step (secondary cycle)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("sessions in the scope")
    ax.set_ylabel("ns per operation")
    ax.set_title("Cost per operation against the number of sessions")
    ax.legend()
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def update_page(text: str) -> None:
    page = PAGE.read_text()
    if BEGIN in page and END in page:
        head, rest = page.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        PAGE.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}")


def machine(load_before: tuple[float, ...]) -> dict[str, Any]:
    """What the figures were measured on, and how busy it was: other processes on the same cores
    slow every figure, CPU time less than wall time."""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }


def machine_line(m: dict[str, Any]) -> str:
    """The load average is a minute's average, so it misses short runs beside the bench; the
    anchors of the same run (the dict table's step above all) show how fast the machine was."""
    before, after = m["load_before"][0], m["load_after"][0]
    return (
        f"Measured on {m['cpus']} CPUs, Python {m['python']}; load average (1 min) "
        f"{before:.1f} at the start, {after:.1f} at the end (the bench itself adds 1). The "
        "dict table's step, the same code on every run, shows how fast the machine was."
    )


def main() -> int:
    results: dict[str, Any] = {}
    load_before = os.getloadavg()
    # The live figures first (the overhead probe runs in interpreters of its own): the core
    # figures leave a heap of half a million objects behind, which slows livekit by a tenth.
    for name, run in (
        ("overhead", live.overhead),
        ("release", live.release_to_claim),
        ("handoff", handoff.handoff_gap),
        ("step", core.step),
        ("scaling", core.scaling),
        ("bulk", core.bulk_add_remove),
        ("memory", core.memory),
        ("explorer", core.explorer),
    ):
        print(f"measuring {name}...", file=sys.stderr, flush=True)
        results[name] = run()
    results["machine"] = machine(load_before)
    rows = figures(results)
    results["figures"] = [
        {"figure": f, "measured": m, "anchor": a, "ratio": q, "status": h} for f, m, a, q, h in rows
    ]
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    plot(results, PAGE.parent / "img" / "scaling.png")
    text = (
        machine_line(results["machine"])
        + "\n\n"
        + table(rows)
        + "\n\nExplorer throughput:\n\n"
        + explorer_table(results)
    )
    update_page(text + "\n\n![cost per operation](img/scaling.png)")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
