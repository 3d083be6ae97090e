"""Scenario 4: the same program on the same server, with the coordinator (examples/voice_agent.py)
and on livekit-agents alone (bare_agent.py). Each step's outcome is recorded as seen by the
clients, the server and the job's log; the library's must all succeed. The table in docs/e2e.md
is generated from this run (`make e2e-docs`); every run writes it to `.tools/e2e/peer.json`.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from livekit import api, rtc

from .conftest import AGENT_NAME, BARE_AGENT_NAME
from .kit import ROOT, Client, Worker, clients, create_room, job_report, spans_ended_once, until
from .test_participants import ASSISTANT, ask_primary, counts

DOC = ROOT / "docs" / "e2e.md"
BEGIN = "<!-- generated:e2e-peer (make e2e-docs) -->"
END = "<!-- /generated:e2e-peer -->"
OK = "yes"

#: the steps, in the order they run, as the table names them
STEPS = [
    "a transcriber per participant (2 join)",
    "the leaving participant's transcriber closed",
    "chat reaches the voice session only",
    "handoff record=False -> record=True",
    "the new primary records the client's audio",
    "handoff record=True -> record=True",
    "lk.agent.session answered by the current primary",
    "job end: every session closed",
    "job end: every agent_session span ended once",
    "each recorded primary's own Ogg, exported",
]


async def attempt(client: Client, probe: Any, accept: Any, what: str) -> bool:
    try:
        await until(probe, accept, timeout=30, what=what)
    except AssertionError:
        return False
    return True


async def handoff(client: Client, payload: str) -> tuple[str, str | None]:
    try:
        return OK, await client.rpc("handoff", payload)
    except rtc.RpcError as exc:
        return f"fails: {exc.message}", None


async def run_program(lk: api.LiveKitAPI, worker: Worker, agent_name: str) -> dict[str, str]:
    """Run every step against one worker; returns step -> outcome."""
    out: dict[str, str] = {}
    room = f"peer-{agent_name}"
    await create_room(lk, room, agent_name)
    async with clients(room, "alice") as (alice,):
        await alice.wait_agent()
        await alice.publish_tone()
        await alice.with_primary()
        voice = (await alice.state())["primary"]
        async with clients(room, "bob") as (bob,):
            joined = await attempt(
                alice, alice.state, lambda s: counts(s) == {"alice": 1, "bob": 1}, "transcribers"
            )
            out[STEPS[0]] = OK if joined else f"no: {counts(await alice.state())}"
            await bob.leave()
            gone = await attempt(alice, alice.state, lambda s: "bob" not in counts(s), "bob gone")
            out[STEPS[1]] = OK if gone else f"no: {counts(await alice.state())}"

        await alice.chat("hello from alice")
        heard = await attempt(
            alice,
            alice.state,
            lambda s: "hello from alice" in s["sessions"][voice]["user_messages"],
            "the chat",
        )
        state = await alice.state()
        others = [n for n, s in state["sessions"].items() if s["user_messages"] and n != voice]
        out[STEPS[2]] = OK if heard and not others else f"no (voice: {heard}, others: {others})"

        out[STEPS[3]], second = await handoff(alice, "record")
        if second is not None:
            recorded = await attempt(
                alice,
                alice.state,
                lambda s: s["sessions"][second]["audio_recorded"] > 0.5,
                "the recording",
            )
            out[STEPS[4]] = OK if recorded else "no audio recorded"
        else:
            out[STEPS[4]] = "no primary"
        out[STEPS[5]], _ = await handoff(alice, "record")

        try:
            instructions, said = await ask_primary(alice)
            out[STEPS[6]] = OK if instructions == ASSISTANT and said == [] else f"no: {said}"
        except Exception as exc:
            out[STEPS[6]] = f"no answer ({type(exc).__name__})"

        await lk.room.delete_room(api.DeleteRoomRequest(room=room))
        log = await job_report(worker.events, room)

    report = next(e for e in log if e["kind"] == "report")
    states = {n: s["state"] for n, s in report["sessions"].items()}
    open_ = sorted(n for n, state in states.items() if state == "running")
    failed = sorted(n for n, state in states.items() if state == "start failed")
    out[STEPS[7]] = (OK if not open_ else f"no: {', '.join(open_)} running") + (
        f" ({', '.join(failed)}: start failed)" if failed else ""
    )
    started, problems = spans_ended_once(log, "agent_session")
    out[STEPS[8]] = OK if started and not problems else f"no: {'; '.join(problems)}"
    exported = [
        e for s in report["sessions"].values() for e in s.get("exports", []) if not e["error"]
    ]
    files = len(report["ogg_files"])
    if exported:
        out[STEPS[9]] = f"{OK} ({files} files, {len(exported)} exports)"
    else:
        out[STEPS[9]] = f"no: {files} file(s) in the job's directory, no export hook"
    return out


def table(library: dict[str, str], bare: dict[str, str]) -> str:
    rows = ["| step | with the library | bare livekit-agents |", "|---|---|---|"]
    for step in STEPS:
        cells = [re.sub(r"\s+", " ", c).replace("|", "/") for c in (library[step], bare[step])]
        rows.append(f"| {step} | {cells[0]} | {cells[1]} |")
    return "\n".join(rows)


async def test_same_program_with_and_without_the_library(
    worker: Worker, bare_worker: Worker, lk: api.LiveKitAPI, run_dir: Path
) -> None:
    library = await run_program(lk, worker, AGENT_NAME)
    bare = await run_program(lk, bare_worker, BARE_AGENT_NAME)
    (run_dir / "peer.json").write_text(json.dumps({"library": library, "bare": bare}, indent=2))
    if os.environ.get("E2E_WRITE_DOCS"):
        text = DOC.read_text()
        start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
        DOC.write_text(text[:start] + "\n" + table(library, bare) + "\n" + text[end:])
    failed = {step: outcome for step, outcome in library.items() if not outcome.startswith(OK)}
    assert failed == {}, f"with the library: {failed}; without: {bare}"
