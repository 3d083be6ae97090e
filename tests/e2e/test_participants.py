"""Scenario 2: the voice agent plus a transcriber per participant, with real participants who
join, leave, drop and rejoin, chat, and ask the agent about itself on `lk.agent.session`."""

from __future__ import annotations

from typing import Any

from livekit import api
from livekit.agents._proto import ROLES
from livekit.agents.voice.remote_session import RemoteSession

from .conftest import AGENT_NAME
from .kit import Client, Worker, clients, create_room, job_report, until

ASSISTANT = "You are a helpful voice assistant."


def live_transcribers(state: dict[str, Any]) -> dict[str, list[str]]:
    """identity -> the names of its transcribers that are not closed."""
    found: dict[str, list[str]] = {}
    for name, session in state["sessions"].items():
        if "#" in name and session["state"] != "closed":
            found.setdefault(name.split("#")[0], []).append(name)
    return found


def counts(state: dict[str, Any]) -> dict[str, int]:
    return {identity: len(names) for identity, names in live_transcribers(state).items()}


def voice_sessions(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in state["sessions"].items() if "#" not in name}


async def ask_primary(client: Client) -> tuple[str, list[str]]:
    """A client-side request on `lk.agent.session`: the answering session's agent instructions
    and the user messages of its chat history."""
    assert client.agent_identity is not None
    remote = RemoteSession.from_room(client.room, client.agent_identity)
    await remote.start()
    try:
        await remote.wait_for_ready(timeout=10)
        info = await remote.get_agent_info()
        history = await remote.get_chat_history()
    finally:
        await remote.aclose()
    said = [
        "".join(part.text for part in item.message.content)
        for item in history.items
        if item.HasField("message") and item.message.role == ROLES["user"]
    ]
    return info.instructions, said


async def test_transcriber_per_participant_leave_chat_and_session_requests(
    worker: Worker, lk: api.LiveKitAPI
) -> None:
    room = "participants"
    await create_room(lk, room, AGENT_NAME)
    async with clients(room, "alice") as (alice,):
        # alice is alone when the voice session starts: livekit links it to her
        await alice.wait_agent()
        await alice.publish_tone()
        state = await alice.with_primary()
        voice = state["primary"]
        async with clients(room, "bob", "carol") as (bob, carol):
            state = await until(
                alice.state,
                lambda s: counts(s) == {"alice": 1, "bob": 1, "carol": 1},
                timeout=30,
                what="one transcriber each for alice, bob and carol",
            )
            bobs = live_transcribers(state)["bob"][0]

            # bob leaves: his transcriber is closed, and forgotten once closed
            await bob.leave()
            await until(
                alice.state,
                lambda s: bobs not in s["sessions"] and counts(s) == {"alice": 1, "carol": 1},
                timeout=30,
                what="bob's transcriber closed and gone",
            )

            # chat: carol's first, then alice's; livekit's RoomIO takes text only from the
            # participant the voice session is linked to (alice)
            await carol.chat("hello from carol")
            await alice.chat("hello from alice")
            state = await until(
                alice.state,
                lambda s: "hello from alice" in s["sessions"][voice]["user_messages"],
                timeout=30,
                what="alice's chat at the voice session",
            )
            heard = {
                n: s["user_messages"] for n, s in state["sessions"].items() if s["user_messages"]
            }
            assert heard == {voice: ["hello from alice"]}, "chat reaches the voice session only"

            # a request on lk.agent.session is answered by the current primary
            instructions, said = await ask_primary(alice)
            assert (instructions, said) == (ASSISTANT, ["hello from alice"])

            # after a handoff, the next primary answers (with its own, empty history)
            after = await alice.rpc("handoff", "no-record")
            instructions, said = await ask_primary(alice)
            assert (instructions, said) == (ASSISTANT, [])
            state = await alice.state()
            assert state["primary"] == after
            assert voice_sessions(state)[voice]["state"] == "closed"

            await lk.room.delete_room(api.DeleteRoomRequest(room=room))
            log = await job_report(worker.events, room)

    report = next(e for e in log if e["kind"] == "report")
    assert report["violations"] == []
    assert {s["state"] for s in report["sessions"].values()} == {"closed"}


async def test_drop_and_rejoin_at_once_keeps_one_transcriber(
    worker: Worker, lk: api.LiveKitAPI
) -> None:
    """A participant whose connection is replaced by a new one (a drop and an immediate rejoin):
    the agent's Room reports her leaving and joining again in one pass."""
    room = "rejoin"
    await create_room(lk, room, AGENT_NAME)
    async with clients(room, "alice", "carol") as (alice, _):
        await alice.wait_agent()
        state = await until(
            alice.state,
            lambda s: s["primary"] is not None and counts(s) == {"alice": 1, "carol": 1},
            timeout=30,
            what="a primary and one transcriber each for alice and carol",
        )
        carols = live_transcribers(state)["carol"][0]
        async with clients(room, "carol"):  # the server replaces her old connection
            state = await until(
                alice.state,
                lambda s: carols not in s["sessions"] and counts(s) == {"alice": 1, "carol": 1},
                timeout=20,
                what="carol's old transcriber gone and exactly one new one",
            )
            await lk.room.delete_room(api.DeleteRoomRequest(room=room))
            log = await job_report(worker.events, room)
    report = next(e for e in log if e["kind"] == "report")
    assert report["violations"] == []
