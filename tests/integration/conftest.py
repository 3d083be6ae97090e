"""Shared helpers for the integration suites (real Room, AgentSession, JobContext, OTel SDK)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from livekit import rtc
from livekit.agents import NOT_GIVEN, Agent, AgentSession, JobContext
from livekit.agents.types import NotGiven

from session_fsm import SessionCoordinator
from session_fsm._adapters import agents
from session_fsm._adapters.capabilities import CAPABILITIES
from session_fsm._adapters.room import HOST_TOPIC, TEXT_TOPICS, RoomTopics
from session_fsm.testing._audio import ToneInput

short_recordings = pytest.mark.skipif(
    not CAPABILITIES.recorder_keeps_short_sessions,
    reason="this livekit-agents writes no file for a recording shorter than 2.5 s",
)

#: livekit-agents 1.5 has a session host but no `session_host=`: without a job only one session
#: can run on a Room (the peer check shows the refusal). (1.3 has no host, and on 1.4 the adapter
#: keeps a secondary's client-events handler from starting.)
host_opt_out = pytest.mark.skipif(
    CAPABILITIES.session_host and not CAPABILITIES.host_opt_out,
    reason="this livekit-agents has no session_host=",
)


def needs(capability: str) -> pytest.MarkDecorator:
    """Skip a test that cannot apply where the installed livekit-agents lacks `capability`
    (livekit-agents 1.0 to 1.2 have no primary designation, session host or session
    recording), naming what is missing."""
    return pytest.mark.skipif(
        not getattr(CAPABILITIES, capability),
        reason=f"livekit-agents here has no {capability}",
    )


#: The host handler a primary registers as a byte stream, where livekit has a session host
#: (1.5+; 1.4's host topic is a text stream, and before 1.4 nothing hosts):
#: `[PRE_CONNECT_TOPIC, *HOSTED]` is the primary's byte-stream handlers.
HOSTED = [HOST_TOPIC] if CAPABILITIES.session_host else []


def host_owned_by(key: str) -> dict[str, str]:
    """The host topic's entry in `RoomTopics.owners` when `key` hosts (none without a host)."""
    return {HOST_TOPIC: key} if CAPABILITIES.hosting else {}


def designated(job: JobContext) -> AgentSession[Any] | None:
    """The job's primary designation: livekit's, where it has one; before 1.3 livekit has
    none, and the designation is the library's own (the job coordinator's primary)."""
    if CAPABILITIES.primary_designation:
        return agents.job_primary(job)
    return SessionCoordinator.for_job(job).primary


def with_host(byte: list[str], text: list[str]) -> tuple[list[str], list[str]]:
    """The Room's (byte, text) handler topics when these and the host's are registered: the
    host's topic is a byte stream from livekit-agents 1.5 (`lk.agent.session`), a text stream
    on 1.4 (`lk.agent.request`), and 1.3 has none."""
    byte, text = list(byte), list(text)
    if CAPABILITIES.hosting:
        (text if HOST_TOPIC in TEXT_TOPICS else byte).append(HOST_TOPIC)
    return sorted(byte), sorted(text)


def hosts(room: rtc.Room) -> bool:
    """Whether the Room has the host's handler, in whichever table this livekit puts it."""
    return RoomTopics.of(room).registered(HOST_TOPIC)


def bare_room(room: rtc.Room) -> rtc.Room | NotGiven:
    """`start()`'s `room=` for a session started directly with livekit, not through the library:
    the Room, except on livekit-agents 1.4, which cannot start a session on an unconnected Room
    (its client-events handler registers RPC methods, which need a connected participant)."""
    return NOT_GIVEN if CAPABILITIES.client_events else room


def agent(name: str = "agent") -> Agent:
    return Agent(instructions=f"You are {name}.")


def new_session() -> AgentSession[None]:
    """A real AgentSession with no models: enough for lifecycle, RoomIO and recording."""
    return AgentSession()


def _bare_start_waits() -> bool:
    """Whether livekit's `AgentSession.start` waits on anything on an offline Room (measured
    once, on a throwaway Room without a job): livekit-agents 1.0's runs to its end without
    suspending, so nothing (a close, a cancellation) can arrive during it."""
    from session_fsm.testing._offline import offline_room

    async def probe() -> bool:
        session = new_session()
        start = asyncio.ensure_future(session.start(agent(), room=bare_room(offline_room())))
        await asyncio.sleep(0)  # one step of the start: the whole of it, if it never waits
        waits = not start.done()
        await start
        await agents.undo_partial_start(session)
        return waits

    return asyncio.run(probe())


#: For the race and cancellation tests: see `_bare_start_waits`.
start_waits = pytest.mark.skipif(
    not _bare_start_waits(),
    reason="livekit-agents here starts a session offline without suspending: nothing can "
    "arrive during its start",
)


#: livekit-agents before 1.7 writes a recording every 2.5 s and drops the rest at close, so a
#: short test session leaves no file (the library then reports no recording). Tests that record
#: a tone make the session last long enough there (`toned`, `session_lasts`); the others skip.
RECORDING_SECONDS = 0.3 if CAPABILITIES.recorder_keeps_short_sessions else 3.0


def toned(frequency: float = 440.0) -> tuple[AgentSession[None], ToneInput]:
    """A session whose audio input is a tone long enough to reach the disk on this livekit."""
    session, tone = new_session(), ToneInput(seconds=RECORDING_SECONDS, frequency=frequency)
    session.input.audio = tone
    return session, tone


async def session_lasts(tone: ToneInput) -> None:
    """Until the whole tone is recorded: the session takes the tone as fast as it reads it, but
    livekit's interval recorder (before 1.7) writes on its own 2.5 s clock, so there the session
    must also last that long in wall time."""
    await tone.done.wait()
    if not CAPABILITIES.recorder_keeps_short_sessions:
        await asyncio.sleep(RECORDING_SECONDS)


class ObjectStore:
    """A real local HTTP server shaped like presigned object storage: `PUT /bucket/<key>`.

    Behaviour per key prefix: `ok/...` stores and answers 200 with an ETag; `flaky/...` answers
    503 twice, then stores; `fail/...` always answers 500; `stall/...` never answers (until the
    test ends)."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.attempts: dict[str, int] = {}
        self.release = asyncio.Event()
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        self.attempts[key] = self.attempts.get(key, 0) + 1
        body = await request.read()
        if key.startswith("stall/"):
            await self.release.wait()
        if key.startswith("fail/") or (key.startswith("flaky/") and self.attempts[key] <= 2):
            return web.Response(status=500 if key.startswith("fail/") else 503)
        self.objects[key] = body
        etag = hashlib.md5(body).hexdigest()
        return web.Response(status=200, headers={"ETag": f'"{etag}"'})

    async def start(self) -> None:
        app = web.Application()
        app.router.add_put("/bucket/{key:.+}", self.handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/bucket"

    async def stop(self) -> None:
        self.release.set()
        if self._runner is not None:
            await self._runner.cleanup()


@pytest_asyncio.fixture
async def object_store() -> AsyncIterator[ObjectStore]:
    store = ObjectStore()
    await store.start()
    yield store
    await store.stop()
