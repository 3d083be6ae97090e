"""One listen-only secondary session per remote participant: the multi-user transcriber, done so
that nothing leaks.

The livekit example leaks a session whose start finishes after its participant left, and raises
KeyError on an early disconnect. Here a participant's start runs as a task: leaving cancels it
(the coordinator undoes what it had taken), a running session is closed and forgotten, and a
rejoin starts a fresh one from the factory.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from livekit import rtc
from livekit.agents import Agent, AgentSession
from livekit.agents.job import DEFAULT_PARTICIPANT_KINDS
from livekit.agents.voice.room_io import RoomOptions

from ..fsm.errors import InvalidInput
from ..fsm.states import Role
from .aio import finish

if TYPE_CHECKING:
    from .coordinator import SessionCoordinator

logger = logging.getLogger("session_fsm")

Factory = Callable[[rtc.RemoteParticipant], Any]


class ParticipantFanout:
    """Returned by `SessionCoordinator.per_participant`; `aclose()` stops it."""

    def __init__(
        self, coord: SessionCoordinator, factory: Factory, *, kinds: Iterable[int] | None = None
    ) -> None:
        if coord.room is None:
            raise InvalidInput("per_participant needs the coordinator's room (for_job or for_room)")
        if not callable(factory):
            raise TypeError(f"factory must be callable, got {type(factory).__name__}")
        self.coord = coord
        self.room: rtc.Room = coord.room
        self.factory = factory
        self.kinds = set(kinds) if kinds is not None else set(DEFAULT_PARTICIPANT_KINDS)
        #: identity -> the session started (or starting) for that participant
        self.sessions: dict[str, AgentSession[Any]] = {}
        self._starting: dict[str, asyncio.Task[None]] = {}
        self._pending: set[asyncio.Task[None]] = set()
        self._joins = 0
        self._closed = False
        self.room.on("participant_connected", self._joined)
        self.room.on("participant_disconnected", self._left)
        for participant in list(self.room.remote_participants.values()):
            self._joined(participant)

    async def settle(self) -> None:
        """Wait until every start and stop under way has finished (tests await this)."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    async def aclose(self) -> None:
        """Stop following the room, cancel starts in flight, close every session."""
        if self._closed:
            return
        self._closed = True
        self.room.off("participant_connected", self._joined)
        self.room.off("participant_disconnected", self._left)
        for identity in list(self._starting) + list(self.sessions):
            self._stop(identity)
        await self.settle()

    def _track(self, task: asyncio.Task[None]) -> asyncio.Task[None]:
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        return task

    def _joined(self, participant: rtc.RemoteParticipant) -> None:
        identity = participant.identity
        if self._closed or participant.kind not in self.kinds:
            return
        if identity in self._starting or identity in self.sessions:
            return
        self._starting[identity] = self._track(asyncio.ensure_future(self._start(participant)))

    def _left(self, participant: rtc.RemoteParticipant) -> None:
        if participant.identity in self._starting or participant.identity in self.sessions:
            self._stop(participant.identity)

    def _stop(self, identity: str) -> None:
        starting = self._starting.pop(identity, None)
        self._track(asyncio.ensure_future(self._close(identity, starting)))

    async def _start(self, participant: rtc.RemoteParticipant) -> None:
        identity = participant.identity
        try:
            made = self.factory(participant)
            if inspect.isawaitable(made):
                made = await made
            session, agent = made
            if not isinstance(session, AgentSession) or not isinstance(agent, Agent):
                raise TypeError("the factory must return an (AgentSession, Agent) pair")
            self.sessions[identity] = session
            self._joins += 1
            await self.coord.start(
                session,
                agent,
                role=Role.SECONDARY,
                name=f"{identity}#{self._joins}",
                room_options=RoomOptions(participant_identity=identity),
            )
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("could not start the session for participant %r", identity)
        finally:
            if self._starting.get(identity) is asyncio.current_task():
                del self._starting[identity]

    async def _close(self, identity: str, starting: asyncio.Task[None] | None) -> None:
        if starting is not None:
            await finish(starting)
        session = self.sessions.pop(identity, None)
        if session is None or not self.coord.manages(session):
            return
        await self.coord.close(session)
        self.coord.forget(session)
