"""livekit-agents 1.4's client-events handler on a real server: its RPC methods need a connected
Room, which the offline matrix cannot give (docs/compatibility.md). Skipped on every other
livekit-agents; `make e2e-client-events` runs it on 1.4 (the nox session `client_events`).

No worker: the test's own connected Room is the agent's, as in a job after `connect()`, and a
client calls the agent's `lk.agent.get_session_state` method, which answers the current agent's
id: whose handler holds the method is read off the answer.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator

import pytest
from livekit import rtc
from livekit.agents import Agent, AgentSession

from session_fsm import SessionCoordinator, SessionState
from session_fsm._adapters.capabilities import CAPABILITIES

from .kit import Client, clients, token

pytestmark = pytest.mark.skipif(
    not CAPABILITIES.client_events, reason="only livekit-agents 1.4 has the client-events handler"
)

STATE = "lk.agent.get_session_state"
AGENT = "agent"


class First(Agent):
    def __init__(self) -> None:
        super().__init__(instructions="You are the first session.")


class Second(Agent):
    def __init__(self) -> None:
        super().__init__(instructions="You are the second session.")


@pytest.fixture
async def agent_room() -> AsyncIterator[rtc.Room]:
    room = rtc.Room()
    await room.connect(os.environ["LIVEKIT_URL"], token(f"client-events-{uuid.uuid4().hex}", AGENT))
    try:
        yield room
    finally:
        await room.disconnect()


async def _answering(client: Client) -> str | None:
    """The id of the agent whose handler answers the state method; None: nobody holds it."""
    try:
        answer: str = json.loads(await client.rpc(STATE))["agent_id"]
    except rtc.RpcError as exc:
        if exc.code != rtc.RpcError.ErrorCode.UNSUPPORTED_METHOD:
            raise
        return None
    return answer


async def test_bare_a_closing_second_session_removes_the_firsts_rpc_methods(
    agent_room: rtc.Room,
) -> None:
    async with clients(agent_room.name, "alice") as (alice,):
        alice.agent_identity = AGENT
        first, second = AgentSession[None](), AgentSession[None]()
        await first.start(First(), room=agent_room)
        assert await _answering(alice) == "first"
        await second.start(Second(), room=agent_room)
        assert await _answering(alice) == "second"  # bare: the second took the methods
        await second.aclose()
        assert await _answering(alice) is None  # bare: and removed them, the first still runs
        await first.aclose()


async def test_with_the_library_the_hosts_methods_stay_until_it_closes(
    agent_room: rtc.Room,
) -> None:
    async with clients(agent_room.name, "alice") as (alice,):
        alice.agent_identity = AGENT
        coord = SessionCoordinator.for_room(agent_room)
        first, second, third = AgentSession[None](), AgentSession[None](), AgentSession[None]()
        assert await coord.start(first, First(), name="first") is SessionState.PRIMARY
        assert await coord.start(second, Second(), name="second") is SessionState.SECONDARY
        assert await _answering(alice) == "first"
        await coord.close(second)
        assert await _answering(alice) == "first"  # a closing secondary removes nothing
        assert await coord.start(third, Second(), name="third") is SessionState.SECONDARY
        await coord.close(first)
        assert await _answering(alice) is None  # they went with the host
        assert await coord.promote(third) is SessionState.PRIMARY
        assert await _answering(alice) == "second"  # the promoted session's own handler
        assert coord.violations() == []
        await coord.aclose()
        assert await _answering(alice) is None
