"""Scenario 3: the server ends the job, once by deleting the room through its API and once
because the last participant left; every session is closed, the recording in progress is
exported, every session's span ended exactly once, and the same worker takes the next job."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from livekit import api

from .conftest import AGENT_NAME
from .kit import (
    PutServer,
    Worker,
    clients,
    create_room,
    job_report,
    participants,
    room_exists,
    spans_ended_once,
    until,
)


def check_ended(log: list[dict[str, Any]], recorded: str, recordings: Path) -> dict[str, Any]:
    report = next(e for e in log if e["kind"] == "report")
    assert report["violations"] == []
    assert report["primary"] is None and report["ownership"] == "vacant"
    assert {s["state"] for s in report["sessions"].values()} == {"closed"}
    exports = {e["exporter"]: e for e in report["sessions"][recorded]["exports"]}
    assert set(exports) == {"directory", "http_put"}
    assert all(e["error"] is None for e in exports.values())
    assert Path(exports["directory"]["url"].removeprefix("file://")).parent == recordings
    started, problems = spans_ended_once(log, "agent_session")
    assert started >= 2 and problems == []
    return report


AGENT = api.ParticipantInfo.Kind.AGENT


async def test_room_deleted_then_last_participant_leaves_same_worker(
    worker: Worker, lk: api.LiveKitAPI, recordings: Path, put_target: PutServer
) -> None:
    # the server deletes the room while a recorded primary and two transcribers run
    deleted = "deleted"
    await create_room(lk, deleted, AGENT_NAME)
    async with clients(deleted, "alice", "bob") as (alice, bob):
        await alice.wait_agent()
        # both speak: livekit links the voice session to whichever it saw first
        await alice.publish_tone()
        await bob.publish_tone(hz=660.0)
        await alice.with_primary()
        recorded = await alice.rpc("handoff", "record")
        await alice.recorded(recorded, 0.5)
        await lk.room.delete_room(api.DeleteRoomRequest(room=deleted))
        log = await job_report(worker.events, deleted)
    check_ended(log, recorded, recordings)
    assert put_target.bodies[f"/{deleted}/{recorded}.ogg"][:4] == b"OggS"
    assert not await room_exists(lk, deleted)

    # the next job: the room closes itself one second after its last participant left
    left = "left"
    await create_room(lk, left, AGENT_NAME, departure_timeout=1)
    async with clients(left, "alice") as (alice,):
        await alice.wait_agent()
        await alice.publish_tone()
        await alice.with_primary()
        recorded_next = await alice.rpc("handoff", "record")
        await alice.recorded(recorded_next, 0.5)
        # alice is the last participant other than the agent
        assert [p.identity for p in await participants(lk, left) if p.kind != AGENT] == ["alice"]
    log_next = await job_report(worker.events, left)
    check_ended(log_next, recorded_next, recordings)

    async def exists() -> bool:
        return await room_exists(lk, left)

    await until(exists, lambda there: not there, timeout=30, what="the room closed by the server")

    first = next(e for e in log if e["kind"] == "job")
    second = next(e for e in log_next if e["kind"] == "job")
    assert first["worker_id"] == second["worker_id"]
    assert worker.proc.poll() is None
    assert first["job_id"] != second["job_id"]
