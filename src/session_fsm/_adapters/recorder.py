"""livekit-agents' real `RecorderIO`: a directory of its own for each primary, and a finalised,
checked Ogg file at close.

livekit records every primary of a job to `job.session_directory / "audio.ogg"`, so a second
primary overwrites the first. Before each primary starts, the job's session directory is pointed
at `<job directory>/recordings/<job id>-<UTC time>-<random>-<session>/`; it is put back when the
designation is released. The job id, the time and 48 random bits keep folders apart when jobs share
a session directory (console mode gives every job of a process the same one) and from folders an
earlier run left; the session's name is only there for people reading the folder, reduced to
ASCII letters, digits, `-`, `_` and `.` and cut short, so any name makes a valid path.
"""

from __future__ import annotations

import re
import time
import uuid
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


#: How much of a job id or session name goes into a folder name (bytes: the parts are ASCII).
NAME_PART_LIMIT = 64
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def folder_part(text: str) -> str:
    """`text` as part of a folder name on any filesystem: ASCII, no separators, no leading dot
    (no `.`/`..`), at most `NAME_PART_LIMIT` characters."""
    return _UNSAFE.sub("_", text).lstrip(".")[:NAME_PART_LIMIT] or "_"


class Recordings:
    """The recording directories of one job's primaries."""

    def __init__(self, job: JobContext) -> None:
        self.job = job
        self.base = agents.session_directory(job)
        self.root = self.base / "recordings"
        self.job_id = folder_part(job.job.id or "job")

    def prepare(self, key: str) -> Path:
        """Point the job's session directory at a fresh directory for `key`'s recording."""
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        name = f"{self.job_id}-{stamp}-{uuid.uuid4().hex[:12]}-{folder_part(key)}"
        directory = self.root / name
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
