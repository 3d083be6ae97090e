"""Scenario: a participant reads her own transcription, as her transcriber publishes it on
`lk.transcription` (livekit's RoomIO does, though the transcriber is listen-only: its audio
output is off, its transcription output is not)."""

from __future__ import annotations

import asyncio

from livekit import api

from .conftest import AGENT_NAME
from .kit import TONE_TRANSCRIPT, Client, Transcription, Worker, clients, create_room, job_report


async def final_transcription_of(client: Client, track_sid: str) -> Transcription:
    """The first final transcription received for the track `track_sid`: others (another
    participant's, or the interim one before it) are passed over."""
    while True:
        heard = await client.transcriptions.get()
        attributes = heard.attributes
        if (
            attributes.get("lk.transcribed_track_id") == track_sid
            and attributes.get("lk.transcription_final") == "true"
        ):
            return heard


async def test_a_participant_reads_her_transcription_of_her_tone(
    worker: Worker, lk: api.LiveKitAPI
) -> None:
    room = "transcripts"
    await create_room(lk, room, AGENT_NAME)
    async with clients(room, "alice", "bob") as (alice, bob):
        await alice.wait_agent()
        await alice.publish_tone()
        assert alice.tone_track_sid is not None
        heard = await asyncio.wait_for(final_transcription_of(alice, alice.tone_track_sid), 60)
        # the text her transcriber's STT heard, sent in her name, for her microphone track
        assert heard.text == TONE_TRANSCRIPT
        assert heard.sender == "alice"
        assert heard.attributes.get("lk.segment_id")
        # bob, who publishes nothing, reads the same transcription of alice's track
        for_bob = await asyncio.wait_for(final_transcription_of(bob, alice.tone_track_sid), 30)
        assert (for_bob.text, for_bob.sender) == (TONE_TRANSCRIPT, "alice")
        assert for_bob.attributes["lk.segment_id"] == heard.attributes["lk.segment_id"]

        await lk.room.delete_room(api.DeleteRoomRequest(room=room))
        log = await job_report(worker.events, room)

    report = next(e for e in log if e["kind"] == "report")
    assert report["violations"] == []
    assert {s["state"] for s in report["sessions"].values()} == {"closed"}
