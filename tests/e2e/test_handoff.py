"""Scenario 1, the seed report on a real server: a `record=False` voice session hands over to a
`record=True` one, then to another `record=True` one, in one job. Each recorded primary leaves
its own Ogg file holding the client's audio, exported to a directory and by HTTP PUT."""

from __future__ import annotations

from pathlib import Path

from livekit import api

from .conftest import AGENT_NAME
from .kit import (
    PutServer,
    Worker,
    clients,
    create_room,
    decoded_seconds,
    job_report,
    participants,
    room_exists,
    spans_ended_once,
    until,
)

AGENT = api.ParticipantInfo.Kind.AGENT

#: Seconds of the client's audio a recorder must have received before the next handoff.
AUDIO_SECONDS = 1.0


async def test_handoff_record_false_then_true_then_true(
    worker: Worker, lk: api.LiveKitAPI, recordings: Path, put_target: PutServer
) -> None:
    room = "handoff"
    await create_room(lk, room, AGENT_NAME)
    async with clients(room, "alice") as (alice,):
        await alice.wait_agent()
        await alice.publish_tone()
        state = await alice.with_primary()
        first = state["primary"]
        assert state["sessions"][first]["recording"] == ""

        second = await alice.rpc("handoff", "record")
        state = await alice.recorded(second, AUDIO_SECONDS)
        assert state["primary"] == second
        assert state["sessions"][first]["state"] == "closed"

        third = await alice.rpc("handoff", "record")
        state = await alice.recorded(third, AUDIO_SECONDS)
        assert state["primary"] == third
        assert state["sessions"][second]["state"] == "closed"

        # the agent as the server and the client see it: the third primary's state attribute
        async def attributes() -> tuple[dict[str, str], dict[str, str]]:
            agent = next(p for p in await participants(lk, room) if p.kind == AGENT)
            seen = alice.room.remote_participants[agent.identity].attributes
            return dict(agent.attributes), dict(seen)

        server_view, _ = await until(
            attributes,
            lambda views: views[0] == views[1] and "lk.agent.state" in views[0],
            timeout=30,
            what="the agent's attributes, the same at the server and the client",
        )
        assert server_view["lk.agent.state"] in {"listening", "thinking", "speaking"}

        await lk.room.delete_room(api.DeleteRoomRequest(room=room))
        log = await job_report(worker.events, room)
    assert not await room_exists(lk, room)

    report = next(e for e in log if e["kind"] == "report")
    assert report["violations"] == []
    sessions = report["sessions"]
    # her transcriber is there too, unless it was closed and forgotten when the room went
    assert {name for name in sessions if not name.startswith("alice#")} == {first, second, third}
    assert {s["state"] for s in sessions.values()} == {"closed"}
    assert sessions[first]["exports"] == []
    files = set()
    for name in (second, third):
        # the job's own copy went with the job's temporary directory: the exports are what is left
        by_exporter = {e["exporter"]: e for e in sessions[name]["exports"]}
        assert set(by_exporter) == {"directory", "http_put"}, sessions[name]["exports"]
        assert all(e["error"] is None for e in by_exporter.values())
        exported = Path(by_exporter["directory"]["url"].removeprefix("file://"))
        assert exported.parent == recordings
        assert put_target.bodies[f"/{room}/{name}.ogg"] == exported.read_bytes()
        seconds = decoded_seconds(exported)
        assert seconds > 0.1, f"{name}'s recording holds no audio"
        files.add(sessions[name]["recording"])
        files.add(exported)
    assert len(files) == 4, "each recorded primary has its own file, and its own export"

    count, problems = spans_ended_once(log, "agent_session")
    assert count == 4, "three voice sessions and alice's transcriber"
    assert problems == []
