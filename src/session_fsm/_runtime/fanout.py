"""One listen-only secondary session per remote participant: the multi-user transcriber, done so
that nothing leaks.

The livekit example leaks a session whose start finishes after its participant left, and raises
KeyError on an early disconnect. Here each presence of a participant (from a join to the leave
that ends it) is a `_Presence` with its own start task: leaving cancels that start (the
coordinator undoes what it had taken) and closes and forgets its session. A rejoin is a new
presence, even within the same event-loop pass as the leave: its start first waits for the old
presence's close (and any undoing), then makes a fresh session from the factory. So at every
moment there is at most one running session per participant, one once its start has settled
for each participant present, and none once `aclose()` (or the job's shutdown) returns.

Transcribers are listen-only by default: no audio output (in a connected room each one would
publish a track of its own), no text input, no pre-connect audio (the RoomIO topics are the
primary's, see `docs/topics.md`). A factory that wants other `RoomOptions` returns a
`ParticipantSession` with them.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import attrs
from livekit import rtc
from livekit.agents import Agent, AgentSession
from livekit.agents.job import DEFAULT_PARTICIPANT_KINDS

from .._adapters import roomio
from ..fsm._states import Role
from ..fsm.errors import InvalidInput, SessionLifecycleError
from .aio import finish

if TYPE_CHECKING:
    from .coordinator import SessionCoordinator

logger = logging.getLogger("session_fsm")


@attrs.frozen
class ParticipantSession:
    """What a `per_participant` factory returns: the session, its agent, and optionally the
    `RoomOptions` to start it with (default: `listen_only(identity)`). Its identity is filled in
    when the options leave it out; options naming another participant are refused. A plain
    `(session, agent)` pair is accepted too."""

    session: AgentSession[Any] = attrs.field(validator=attrs.validators.instance_of(AgentSession))
    agent: Agent = attrs.field(validator=attrs.validators.instance_of(Agent))
    room_options: roomio.Options | None = attrs.field(
        default=None,
        validator=attrs.validators.optional(attrs.validators.instance_of(roomio.OPTION_TYPES)),
    )


#: A transcriber's RoomIO options: it listens to one participant and publishes nothing (no audio
#: output), takes no text input and no pre-connect audio.
listen_only = roomio.listen_only


Factory = Callable[[rtc.RemoteParticipant], Any]


@attrs.define(eq=False)
class _Presence:
    """One stay of a participant in the room: from its join to the leave that ends it."""

    identity: str
    start: asyncio.Task[None] | None = None
    session: AgentSession[Any] | None = None
    #: The close that ends this presence (set at the leave, or when the fan-out closes).
    stop: asyncio.Task[None] | None = None


class ParticipantFanout:
    """Returned by `SessionCoordinator.per_participant`; `aclose()` stops it (the coordinator's
    own `aclose()`, at job shutdown, does too)."""

    def __init__(
        self, coord: SessionCoordinator, factory: Factory, *, kinds: Iterable[int] | None = None
    ) -> None:
        if coord.room is None:
            raise InvalidInput("per_participant needs the coordinator's room (for_job or for_room)")
        if not callable(factory):
            raise TypeError(f"factory must be callable, got {type(factory).__name__}")
        chosen = set(kinds) if kinds is not None else set(DEFAULT_PARTICIPANT_KINDS)
        if not all(type(k) is int for k in chosen):
            raise TypeError(f"kinds must be livekit ParticipantKind values (int), got {kinds!r}")
        self.coord = coord
        self.room: rtc.Room = coord.room
        self.factory = factory
        self.kinds = chosen
        #: identity -> the participant's current presence (only participants in the room)
        self._present: dict[str, _Presence] = {}
        #: identity -> the close of its last presence, while it runs (a rejoin waits for it)
        self._leaving: dict[str, asyncio.Task[None]] = {}
        self._pending: set[asyncio.Task[None]] = set()
        self._closed = False
        self.errors: list[str] = []
        self.room.on("participant_connected", self._joined)
        self.room.on("participant_disconnected", self._left)
        coord.adopt_fanout(self)
        for participant in list(self.room.remote_participants.values()):
            self._joined(participant)

    @property
    def sessions(self) -> dict[str, AgentSession[Any]]:
        """identity -> the session started (or starting) for each participant in the room."""
        return {i: p.session for i, p in self._present.items() if p.session is not None}

    async def settle(self) -> None:
        """Wait until every start and stop under way has finished (tests await this)."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    async def aclose(self) -> None:
        """Stop following the room, cancel starts in flight, close every session."""
        if not self._closed:
            self._closed = True
            self.room.off("participant_connected", self._joined)
            self.room.off("participant_disconnected", self._left)
            for identity in list(self._present):
                self._stop(identity)
        await self.settle()

    def _track(self, task: asyncio.Task[None]) -> asyncio.Task[None]:
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        return task

    def _joined(self, participant: rtc.RemoteParticipant) -> None:
        identity = participant.identity
        if self._closed or participant.kind not in self.kinds or identity in self._present:
            return
        presence = self._present[identity] = _Presence(identity)
        before = self._leaving.get(identity)
        start = self._start(presence, participant, before)
        presence.start = self._track(asyncio.ensure_future(start))

    def _left(self, participant: rtc.RemoteParticipant) -> None:
        if participant.identity in self._present:
            self._stop(participant.identity)

    def _stop(self, identity: str) -> None:
        presence = self._present.pop(identity)
        stop = presence.stop = self._track(asyncio.ensure_future(self._close(presence)))
        self._leaving[identity] = stop

        def done(task: asyncio.Task[None]) -> None:
            if self._leaving.get(identity) is task:
                del self._leaving[identity]

        stop.add_done_callback(done)

    async def _start(
        self,
        presence: _Presence,
        participant: rtc.RemoteParticipant,
        before: asyncio.Task[None] | None,
    ) -> None:
        identity = presence.identity
        try:
            if before is not None:  # the same participant's last stay is still being closed
                await asyncio.wait({before})  # (a cancellation of this start must not cut it)
            made = self.factory(participant)
            if inspect.isawaitable(made):
                made = await made
            chosen = _chosen(made, identity)
            presence.session = chosen.session
            await self.coord.start(
                chosen.session,
                chosen.agent,
                role=Role.SECONDARY,
                name=self.coord.join_name(identity),
                room_options=chosen.room_options,
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._failed(identity, exc)

    def _failed(self, identity: str, exc: Exception) -> None:
        what = f"{type(exc).__name__}: {exc}"
        self.errors.append(f"{identity}: {what}")
        if isinstance(exc, SessionLifecycleError | TypeError):  # the message says it all
            logger.error("per_participant: no session for participant %r: %s", identity, what)
        else:
            logger.exception("per_participant: no session for participant %r", identity)

    async def _close(self, presence: _Presence) -> None:
        if presence.start is not None:
            await finish(presence.start)
        session = presence.session
        if session is None or not self.coord.manages(session):
            return
        await self.coord.close(session)
        self.coord.forget(session)


def _chosen(made: object, identity: str) -> ParticipantSession:
    """The factory's result as a `ParticipantSession` with this participant's options."""
    if isinstance(made, tuple) and len(made) == 2:
        made = ParticipantSession(*made) if _pair(made) else made
    if not isinstance(made, ParticipantSession):
        raise TypeError(
            "the per_participant factory must return ParticipantSession(session, agent, "
            f"room_options=...) or an (AgentSession, Agent) pair, got {made!r}"
        )
    options = made.room_options
    if options is None:
        return attrs.evolve(made, room_options=listen_only(identity))
    follows = roomio.participant(options)
    if follows is None:
        return attrs.evolve(made, room_options=roomio.following(options, identity))
    if follows != identity:
        raise InvalidInput(
            f"the factory's RoomOptions listen to {follows!r}, but the "
            f"session is for participant {identity!r}; leave participant_identity out."
        )
    return made


def _pair(made: tuple[object, ...]) -> bool:
    return isinstance(made[0], AgentSession) and isinstance(made[1], Agent)
