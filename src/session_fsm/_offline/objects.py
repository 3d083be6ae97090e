"""Real livekit objects, offline: a JobContext, participants joining and leaving an unconnected
Room, and livekit's job shutdown sequence. No server, no network;
nothing here is a mock."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
from collections.abc import Callable, Iterator
from typing import Any

from livekit import rtc
from livekit.agents import JobContext
from livekit.rtc._proto import handle_pb2, participant_pb2

from .._adapters import agents
from ..fsm.errors import InvalidInput
from .logs import quiet_livekit

_sids = itertools.count(1)


STANDARD = rtc.ParticipantKind.PARTICIPANT_KIND_STANDARD
AGENT = rtc.ParticipantKind.PARTICIPANT_KIND_AGENT


def offline_room(*, local_identity: str = "agent") -> rtc.Room:
    """An unconnected `rtc.Room` with its local participant seated (call it in a running loop).

    It also drops livekit's one warning an unconnected room causes (`logs.quiet_livekit`): a
    process that builds offline rooms runs offline.

    Raises:
        SessionLifecycleError: `invalid_input` when `local_identity` is not a non-empty str.
    """
    _identity(local_identity)
    quiet_livekit()
    room = rtc.Room()
    agents.seat_local_participant(room, _owned(local_identity, AGENT))
    return room


@contextlib.contextmanager
def offline_job(
    room: rtc.Room | None = None,
    *,
    job_id: str = "AJ_offline",
    enable_recording: bool = False,
) -> Iterator[JobContext]:
    """A real `JobContext` for an unconnected Room (a new offline one by default), made
    current like a worker makes it, for the `with` block.

    Raises:
        SessionLifecycleError: `invalid_input` when `room` is not an `rtc.Room`, `job_id` not a
            non-empty str or `enable_recording` not a bool.
    """
    if room is not None:
        _room(room)
    if not isinstance(job_id, str) or not job_id:
        raise InvalidInput(f"offline_job: job_id must be a non-empty str, got {job_id!r}")
    if type(enable_recording) is not bool:
        raise InvalidInput(
            f"offline_job: enable_recording must be a bool, got {enable_recording!r}"
        )
    with agents.offline_job_context(room if room is not None else offline_room(), job_id) as job:
        job.job.enable_recording = enable_recording
        yield job


def remote_participant(
    identity: str, *, kind: rtc.ParticipantKind.ValueType = STANDARD, name: str | None = None
) -> rtc.RemoteParticipant:
    """A real `rtc.RemoteParticipant`, built from the protobuf the FFI would send."""
    return rtc.RemoteParticipant(_owned(identity, kind, name))


def _owned(
    identity: str, kind: rtc.ParticipantKind.ValueType, name: str | None = None
) -> participant_pb2.OwnedParticipant:
    info = participant_pb2.ParticipantInfo(
        sid=f"PA_{next(_sids)}", identity=identity, name=name or identity, kind=kind
    )
    return participant_pb2.OwnedParticipant(handle=handle_pb2.FfiOwnedHandle(id=0), info=info)


def join(
    room: rtc.Room, identity: str, *, kind: rtc.ParticipantKind.ValueType = STANDARD
) -> rtc.RemoteParticipant:
    """Seat a participant in the Room and emit `participant_connected`, as the FFI does; the
    participant is returned.

    Raises:
        SessionLifecycleError: `invalid_input` when `room` is not an `rtc.Room`, `identity` not
            a non-empty str or `kind` not a participant kind.
    """
    _room(room)
    _identity(identity)
    if type(kind) is not int:
        raise InvalidInput(f"join: kind must be an rtc.ParticipantKind value, got {kind!r}")
    participant = remote_participant(identity, kind=kind)
    agents.seat_participant(room, participant)
    room.emit("participant_connected", participant)
    return participant


def leave(room: rtc.Room, identity: str) -> None:
    """Unseat the participant and emit `participant_disconnected`, as the FFI does.

    Raises:
        SessionLifecycleError: `invalid_input` when `room` is not an `rtc.Room`, or nobody of
            that identity is in it (nothing is emitted).
    """
    _room(room)
    participant = agents.unseat_participant(room, identity)
    if participant is None:
        raise InvalidInput(f"no participant {identity!r} in the room")
    room.emit("participant_disconnected", participant)


async def run_job_shutdown(
    job: JobContext,
    *,
    reason: str = "job ended",
    on_disconnect: Callable[[], Any] | None = None,
    session_timeout: float = 10.0,
) -> None:
    """livekit's own shutdown order (`ipc/job_proc_lazy_main.py`): close the primary, run the
    session-end step, disconnect the room, then run the shutdown callbacks. The primary's close
    is given `session_timeout` seconds.

    Raises:
        SessionLifecycleError: `invalid_input` when `job` is not a `JobContext`, `on_disconnect`
            not callable or `session_timeout` not a positive number.
    """
    if not isinstance(job, JobContext):
        raise InvalidInput(f"run_job_shutdown takes a livekit JobContext, got {job!r}")
    if on_disconnect is not None and not callable(on_disconnect):
        raise InvalidInput(
            f"run_job_shutdown: on_disconnect must be callable, got {on_disconnect!r}"
        )
    if (
        type(session_timeout) not in (int, float)
        or not math.isfinite(session_timeout)
        or session_timeout <= 0
    ):
        raise InvalidInput(
            f"run_job_shutdown: session_timeout must be a positive number, got {session_timeout!r}"
        )
    primary = agents.job_primary(job)
    if primary is not None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(primary.aclose(), session_timeout)
    await agents.run_session_end(job)
    if on_disconnect is not None:
        on_disconnect()
    await job.room.disconnect()
    await agents.run_shutdown_callbacks(job, reason)


def _room(room: object) -> None:
    if not isinstance(room, rtc.Room):
        raise InvalidInput(f"expected a livekit rtc.Room, got {room!r}")


def _identity(identity: object) -> None:
    if not isinstance(identity, str) or not identity:
        raise InvalidInput(f"a participant identity is a non-empty str, got {identity!r}")
