"""The end-to-end suite needs a LiveKit server: `make e2e` builds one, starts it, runs this suite
and stops it. Without one (as under `make test`) every test here is skipped, saying so."""

from __future__ import annotations

import os
import shutil
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from livekit import api

from .kit import ROOT, PutServer, Worker, put_server

AGENT_NAME = "session-fsm-e2e"
BARE_AGENT_NAME = "bare-livekit-e2e"


def _server_answers(ws_url: str) -> bool:
    http_url = ws_url.replace("ws://", "http://", 1).replace("wss://", "https://", 1)
    try:
        with urllib.request.urlopen(http_url, timeout=2.0) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="session", autouse=True)
def livekit_url() -> str:
    url = os.environ.get("LIVEKIT_URL")
    if not url or not _server_answers(url):
        pytest.skip(
            f"no LiveKit server at LIVEKIT_URL={url!r}: run `make e2e` (it builds livekit-server, "
            "starts it on 127.0.0.1, runs this suite and stops it)"
        )
    return url


@pytest.fixture(scope="session")
def run_dir() -> Path:
    """`.tools/e2e/`: the workers' logs, the jobs' event logs and the exported recordings of the
    last run, kept for reading after a failure (emptied at the start of each run)."""
    root = ROOT / ".tools" / "e2e"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    return root


@pytest.fixture(scope="session")
def events(run_dir: Path) -> Path:
    return run_dir / "events"


@pytest.fixture(scope="session")
def recordings(run_dir: Path) -> Path:
    return run_dir / "recordings"


@pytest.fixture(scope="session")
def put_target() -> Iterator[PutServer]:
    with put_server() as server:
        yield server


@pytest.fixture(scope="session")
def worker(
    livekit_url: str,
    events: Path,
    recordings: Path,
    put_target: PutServer,
    run_dir: Path,
) -> Iterator[Worker]:
    """One worker for the suite, running the example's entrypoint (explicit dispatch)."""
    log = run_dir / "worker.log"
    proc = Worker(
        events,
        log,
        agent_name=AGENT_NAME,
        RECORDINGS_DIR=str(recordings),
        RECORDINGS_PUT_URL=put_target.url + "/{room}/{session}.ogg",
    )
    try:
        proc.wait_registered()
        yield proc
    finally:
        proc.stop()


@pytest.fixture
async def lk(livekit_url: str) -> AsyncIterator[api.LiveKitAPI]:
    client = api.LiveKitAPI(livekit_url.replace("ws://", "http://", 1))
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture(scope="session")
def bare_worker(livekit_url: str, events: Path, run_dir: Path) -> Iterator[Worker]:
    """A second worker running the same program on livekit-agents alone (scenario 4)."""
    proc = Worker(
        events, run_dir / "bare-worker.log", agent_name=BARE_AGENT_NAME, E2E_ENTRYPOINT="bare"
    )
    try:
        proc.wait_registered()
        yield proc
    finally:
        proc.stop()
