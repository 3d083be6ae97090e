"""`session-fsm demo` (`make demo`): the bundled scenarios against real livekit objects, printed
as a timeline of states, ownership and the Room's handlers."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from ._offline import in_memory_spans
from ._scenario import parse, run


def scenarios(exports: Path) -> list[tuple[str, str, dict[str, Any]]]:
    directory = {"kind": "directory", "path": str(exports)}
    return [
        (
            "Transcribers beside a voice agent",
            "one primary records; a listen-only secondary per participant, closed when they leave",
            {
                "job": True,
                "sessions": {"voice": {"record": True, "exporter": directory}},
                "steps": [
                    {"op": "start", "session": "voice"},
                    {"op": "per_participant"},
                    {"op": "join", "participant": "alice"},
                    {"op": "join", "participant": "bob"},
                    {"op": "leave", "participant": "alice"},
                    {"op": "close", "session": "voice"},
                ],
            },
        ),
        (
            "Handoff: record=False, then record=True",
            "livekit-agents 1.8.9 refuses the second start: 'Only one AgentSession can be the "
            "primary at a time'",
            {
                "job": True,
                "sessions": {"intake": {"record": False}, "main": {"record": True}},
                "steps": [
                    {"op": "start", "session": "intake"},
                    {"op": "drain", "session": "intake"},
                    {"op": "close", "session": "intake"},
                    {"op": "start", "session": "main"},
                    {"op": "close", "session": "main"},
                ],
            },
        ),
        (
            "Close racing a new start",
            "the new primary waits for the release, then takes over in the same loop pass",
            {
                "job": True,
                "sessions": {"next": {"role": "primary"}},
                "steps": [
                    {"op": "start", "session": "first"},
                    {
                        "op": "concurrent",
                        "steps": [
                            {"op": "close", "session": "first"},
                            {"op": "start", "session": "next"},
                        ],
                    },
                    {"op": "close", "session": "next"},
                ],
            },
        ),
        (
            "Promotion",
            "a secondary becomes the primary (and the room's host) once the primary leaves",
            {
                "job": True,
                "steps": [
                    {"op": "start", "session": "voice"},
                    {"op": "start", "session": "helper"},
                    {"op": "promote", "session": "helper"},
                    {"op": "close", "session": "voice"},
                    {"op": "promote", "session": "helper"},
                    {"op": "close", "session": "helper"},
                ],
            },
        ),
    ]


class Paint:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.enabled else text


def timeline(result: dict[str, Any], paint: Paint) -> list[str]:
    lines = []
    for step in result["steps"]:
        what = step.get("session") or step.get("participant") or ""
        if step.get("concurrent"):
            what += paint(" (concurrent)", "2")
        if step["ok"]:
            outcome = paint("ok", "32") + " " + paint(step.get("state", ""), "36")
        else:
            outcome = paint(step["error"]["code"], "31")
        own = step["ownership"]
        holder = f" by {own['holder']}" if own["holder"] else ""
        handlers = ", ".join(step["room_byte_stream_topics"] + step["room_text_stream_topics"])
        lines.append(
            f"  {step['index']:>2}  {step['op']:<16} {what:<20} {outcome:<28} "
            f"{own['state']}{holder:<12}  {paint(handlers or '-', '2')}"
        )
    return lines


def main() -> int:
    paint = Paint(sys.stdout.isatty() and "NO_COLOR" not in os.environ)
    spans = in_memory_spans()
    failed = 0
    with tempfile.TemporaryDirectory(prefix="session-fsm-demo-") as tmp:
        for title, why, document in scenarios(Path(tmp) / "exports"):
            result = asyncio.run(run(parse(document), spans))
            print(paint(f"\n== {title}", "1"))
            print(paint(f"   {why}", "2"))
            print(
                "  #   op               session/participant  result            ownership      "
                "room handlers"
            )
            print("\n".join(timeline(result, paint)))
            for rec in result["final"]["recordings"]:
                exported = ", ".join(
                    f"{e['exporter']} -> {e['id'] or e['error']}" for e in rec["exports"]
                )
                print(
                    f"   recording of {rec['session']}: {rec['bytes']} bytes of Ogg"
                    + (f"; exported: {exported}" if exported else "")
                )
            finals = ", ".join(f"{k} {v}" for k, v in result["final"]["sessions"].items())
            print(f"   sessions at the end: {finals}")
            ended = [s for s in result["final"]["spans"] if s["ended"]]
            print(
                f"   agent_session spans ended: {len(ended)}; "
                f"violations on the real objects: {len(result['violations'])}"
            )
            failed += bool(result["violations"])
    print(
        paint(
            "\nDiagrams: `session-fsm diagram --machine session|ownership --format mermaid|dot` "
            "(with the diagrams extra: pip install 'livekit-session-fsm[diagrams]').",
            "1",
        )
    )
    print("Model check: `session-fsm check --sessions 3`.")
    return 1 if failed else 0
