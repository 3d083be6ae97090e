"""What the end-to-end scenarios share: a worker process, rtc clients that publish a generated
tone, the server's API, the job's event log, and a local HTTP server that takes PUTs.

Nothing here stands in for a LiveKit part: the server, the worker and the clients are the real
programs. Where the state to wait for lives in another process (the worker's coordinator, the
server's participant list), `until` polls it with a deadline; no sleep stands in for an event.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import attrs
import av
import psutil
from livekit import api, rtc

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("worker.py")
AGENT_KIND = rtc.ParticipantKind.PARTICIPANT_KIND_AGENT
SAMPLE_RATE = 48_000
#: What every participant's transcriber hears in a client's tone (the worker's scripted STT).
TONE_TRANSCRIPT = "a tone at four hundred and forty hertz"

T = TypeVar("T")


async def until(
    probe: Callable[[], Awaitable[T]], accept: Callable[[T], bool], *, timeout: float, what: str
) -> T:
    """Poll `probe()` until `accept` holds for its value; fail naming `what` and the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if accept(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}: {value!r}")
        await asyncio.sleep(0.1)  # polling interval for state in another process


# --------------------------------------------------------------------------- the worker


class Worker:
    """A livekit-agents worker process (tests/e2e/worker.py) in the suite's process group."""

    def __init__(self, events: Path, log: Path, *, agent_name: str, **env: str) -> None:
        self.events = events
        self.log = log
        self.agent_name = agent_name
        self.registered = threading.Event()
        environ = dict(os.environ, E2E_EVENTS_DIR=str(events), E2E_AGENT_NAME=agent_name, **env)
        self.proc = subprocess.Popen(
            [sys.executable, str(WORKER), "dev", "--no-reload", "--log-level", "info"],
            env=environ,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        with self.log.open("wb") as out:
            for line in self.proc.stdout:
                out.write(line)
                out.flush()
                if b"registered worker" in line:
                    self.registered.set()

    def wait_registered(self, timeout: float = 90.0) -> None:
        if not self.registered.wait(timeout):
            raise AssertionError(
                f"the worker did not register within {timeout:.0f} s; its log ({self.log}):\n"
                + self.log.read_text()[-3000:]
            )

    def stop(self) -> None:
        """SIGTERM (livekit drains its jobs), then SIGKILL; then any of its job processes left."""
        if self.proc.poll() is not None:
            return
        children = psutil.Process(self.proc.pid).children(recursive=True)
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for child in children:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()


# --------------------------------------------------------------------------- the job's log


def read_events(events: Path, room: str) -> list[dict[str, Any]]:
    path = events / f"{room}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


async def job_report(events: Path, room: str, timeout: float = 30.0) -> list[dict[str, Any]]:
    """The job's whole event log, once its shutdown report is written."""

    async def probe() -> list[dict[str, Any]]:
        return read_events(events, room)

    return await until(
        probe,
        lambda log: any(e["kind"] == "report" for e in log),
        timeout=timeout,
        what=f"the job report of room {room!r}",
    )


def spans_ended_once(log: list[dict[str, Any]], name: str) -> tuple[int, list[str]]:
    """How many `name` spans started, and the problems: a span not ended, or ended twice."""
    started = [e["id"] for e in log if e["kind"] == "span_start" and e["name"] == name]
    ended = [e["id"] for e in log if e["kind"] == "span_end" and e["name"] == name]
    problems = [f"{i} ended {ended.count(i)} times" for i in started if ended.count(i) != 1]
    return len(started), problems


def decoded_seconds(path: Path) -> float:
    """Decode every audio frame of the file and add up their durations."""
    samples, rate = 0, 0
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            samples += frame.samples
            rate = frame.sample_rate
    return samples / rate if rate else 0.0


# --------------------------------------------------------------------------- the server


def token(room: str, identity: str) -> str:
    grants = api.VideoGrants(room_join=True, room=room)
    return api.AccessToken().with_identity(identity).with_grants(grants).to_jwt()


async def create_room(lk: api.LiveKitAPI, room: str, agent_name: str, **options: Any) -> float:
    """Create the room and dispatch the agent to it; returns when (monotonic) it was asked."""
    asked = time.monotonic()
    await lk.room.create_room(api.CreateRoomRequest(name=room, **options))
    await lk.agent_dispatch.create_dispatch(
        api.CreateAgentDispatchRequest(room=room, agent_name=agent_name)
    )
    return asked


async def participants(lk: api.LiveKitAPI, room: str) -> list[api.ParticipantInfo]:
    response = await lk.room.list_participants(api.ListParticipantsRequest(room=room))
    return list(response.participants)


async def room_exists(lk: api.LiveKitAPI, room: str) -> bool:
    response = await lk.room.list_rooms(api.ListRoomsRequest(names=[room]))
    return any(r.name == room for r in response.rooms)


# --------------------------------------------------------------------------- clients


@attrs.frozen
class Transcription:
    """One text stream the client received on `lk.transcription`: who it is said to come from,
    its attributes (`lk.transcribed_track_id`, `lk.segment_id`, `lk.transcription_final`...)."""

    sender: str
    attributes: dict[str, str]
    text: str


class Client:
    """A participant: joins, publishes a generated tone, chats, calls the agent, reads the
    transcriptions published in the room, leaves."""

    def __init__(self, room: str, identity: str) -> None:
        self.room_name = room
        self.identity = identity
        self.room = rtc.Room()
        self.agent_joined = asyncio.Event()
        self.agent_identity: str | None = None
        self.tone_track_sid: str | None = None
        self.transcriptions: asyncio.Queue[Transcription] = asyncio.Queue()
        self._readers: set[asyncio.Task[None]] = set()
        self._tone: asyncio.Task[None] | None = None
        self.room.on("participant_connected", self._seen)
        self.room.register_text_stream_handler("lk.transcription", self._transcribed)

    def _transcribed(self, reader: rtc.TextStreamReader, sender: str) -> None:
        async def read() -> None:
            text = await reader.read_all()
            attributes = dict(reader.info.attributes or {})
            await self.transcriptions.put(Transcription(sender, attributes, text))

        task = asyncio.ensure_future(read())
        self._readers.add(task)
        task.add_done_callback(self._readers.discard)

    def _seen(self, participant: rtc.RemoteParticipant) -> None:
        if participant.kind == AGENT_KIND:
            self.agent_identity = participant.identity
            self.agent_joined.set()

    async def join(self) -> None:
        await self.room.connect(os.environ["LIVEKIT_URL"], token(self.room_name, self.identity))
        for participant in self.room.remote_participants.values():
            self._seen(participant)

    async def wait_agent(self, timeout: float = 60.0) -> str:
        await asyncio.wait_for(self.agent_joined.wait(), timeout)
        assert self.agent_identity is not None
        return self.agent_identity

    async def publish_tone(self, hz: float = 440.0) -> None:
        source = rtc.AudioSource(SAMPLE_RATE, 1)
        track = rtc.LocalAudioTrack.create_audio_track("microphone", source)
        options = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        publication = await self.room.local_participant.publish_track(track, options)
        self.tone_track_sid = publication.sid
        self._tone = asyncio.ensure_future(self._play(source, hz))

    @staticmethod
    async def _play(source: rtc.AudioSource, hz: float) -> None:
        n, block = 0, SAMPLE_RATE // 100
        while True:
            frame = rtc.AudioFrame.create(SAMPLE_RATE, 1, block)
            data = frame.data
            for i in range(block):
                data[i] = int(8000 * math.sin(2 * math.pi * hz * (n + i) / SAMPLE_RATE))
            n += block
            await source.capture_frame(frame)  # paced by the source's real-time queue

    async def rpc(self, method: str, payload: str = "") -> str:
        assert self.agent_identity is not None, "no agent in the room yet"
        return await self.room.local_participant.perform_rpc(
            destination_identity=self.agent_identity,
            method=method,
            payload=payload,
            response_timeout=30.0,
        )

    async def state(self) -> dict[str, Any]:
        """The worker's view; empty until its entrypoint has registered the method."""
        try:
            result: dict[str, Any] = json.loads(await self.rpc("e2e.state"))
        except rtc.RpcError as exc:
            if exc.code != rtc.RpcError.ErrorCode.UNSUPPORTED_METHOD:
                raise
            return {"primary": None, "sessions": {}}
        return result

    async def with_primary(self, timeout: float = 30.0) -> dict[str, Any]:
        """The worker's view once a primary runs (the job's first start has landed)."""
        return await until(
            self.state, lambda s: s["primary"] is not None, timeout=timeout, what="a primary"
        )

    async def recorded(self, session: str, seconds: float, timeout: float = 30.0) -> dict[str, Any]:
        """The worker's view once `session`'s recording holds more than `seconds` of audio."""
        return await until(
            self.state,
            lambda s: s["sessions"].get(session, {}).get("audio_recorded", 0) > seconds,
            timeout=timeout,
            what=f"{session}'s recording to hold {seconds:g} s of the client's audio",
        )

    async def chat(self, text: str) -> None:
        await self.room.local_participant.send_text(text, topic="lk.chat")

    async def leave(self) -> None:
        if self._tone is not None:
            self._tone.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._tone
            self._tone = None
        await self.room.disconnect()


@contextlib.asynccontextmanager
async def clients(room: str, *identities: str) -> AsyncIterator[list[Client]]:
    """Join every identity to `room`; they leave at the end whatever happened."""
    joined: list[Client] = []
    try:
        for identity in identities:
            client = Client(room, identity)
            await client.join()
            joined.append(client)
        yield joined
    finally:
        for client in joined:
            with contextlib.suppress(Exception):
                await client.leave()


# --------------------------------------------------------------------------- HTTP PUT target


class PutServer:
    """A local HTTP server that keeps every PUT body by path and answers 201 with an ETag."""

    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {}
        bodies = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                bodies[self.path] = self.rfile.read(length)
                self.send_response(201)
                self.send_header("ETag", f'"{len(bodies)}"')
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@contextlib.contextmanager
def put_server() -> Iterator[PutServer]:
    server = PutServer()
    try:
        yield server
    finally:
        server.close()
