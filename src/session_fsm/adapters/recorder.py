"""livekit-agents' real `RecorderIO`: a directory of its own for each primary, and a finalised,
checked Ogg file at close.

livekit records every primary of a job to `job.session_directory / "audio.ogg"`, so a second
primary overwrites the first. Before each primary starts, the job's session directory is pointed
at `<job directory>/recordings/<n>-<session>/`; it is put back when the designation is released.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import attrs
from livekit.agents import AgentSession, JobContext

from ..fsm.errors import StartFailedError
from . import agents

OGG_MAGIC = b"OggS"


@attrs.frozen
class RecordingFile:
    """A finished recording on disk."""

    path: Path
    bytes: int
    started_at: float
    ended_at: float


class Recordings:
    """The recording directories of one job's primaries."""

    def __init__(self, job: JobContext) -> None:
        self.job = job
        self.base = agents.session_directory(job)
        self.root = self.base / "recordings"
        self._count = 0

    def prepare(self, key: str) -> Path:
        """Point the job's session directory at a fresh directory for `key`'s recording."""
        self._count += 1
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in key)
        directory = self.root / f"{self._count:04d}-{safe}"
        directory.mkdir(parents=True, exist_ok=False)
        agents.set_session_directory(self.job, directory)
        return directory / "audio.ogg"

    def restore(self) -> None:
        agents.set_session_directory(self.job, self.base)

    @staticmethod
    def started(session: AgentSession[Any], key: str) -> tuple[Path, float]:
        """The path and start time of the recording the session's start began."""
        rec = agents.recorder(session)
        if rec is None or rec.output_path is None:
            raise StartFailedError(
                f"session {key!r} was to record, but livekit made no RecorderIO: a recorder "
                "needs the session's audio input and output (RoomIO, or your own).",
                session=key,
            )
        return Path(rec.output_path), rec.recording_started_at or time.time()

    @staticmethod
    async def finalise(session: AgentSession[Any], path: Path, started_at: float) -> RecordingFile:
        """Stop the recorder (idempotent) and check that a complete Ogg file is on disk."""
        rec = agents.recorder(session)
        if rec is not None:
            await rec.aclose()
        ended_at = time.time()
        if not path.exists():
            raise FileNotFoundError(f"the recording {path} was not written")
        with path.open("rb") as f:
            head = f.read(4)
        if head != OGG_MAGIC:
            raise ValueError(f"the recording {path} is not an Ogg file (starts with {head!r})")
        return RecordingFile(path, path.stat().st_size, started_at, ended_at)
