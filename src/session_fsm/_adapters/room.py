"""Who owns each per-room stream handler of one `rtc.Room`.

An rtc `Room` takes one handler per topic and `unregister_*` removes whatever is there, so on
every livekit-agents from 1.0 to 1.8.9 a closing secondary removes the primary's
`lk.agent.pre-connect-audio-buffer` handler, and a second session's `lk.chat` registration
fails with only a log line (1.0 never removes its `lk.chat` handler at all). This registry
reserves each topic for the first *primary* that asks, synchronously (so two concurrent starts
cannot both think a topic is free), and turns the topic off in the RoomIO options of every other
session (every secondary, whenever it starts), which then neither registers nor unregisters
it. It reports which topics a session did not get, and removes a handler at close only if that
session owns it.

`lk.agent.session` (the host handler; on livekit-agents 1.4 the client-events handler's
`lk.agent.request`) is owned by the scope's primary only: the core decides when it is registered
and removed; this registry records and checks it.
"""

from __future__ import annotations

import attrs
from livekit import rtc

from ..fsm.errors import StartFailedError
from . import agents, roomio
from .capabilities import CAPABILITIES

#: The session host's byte-stream topic (livekit-agents 1.5 on).
SESSION_HOST_TOPIC = "lk.agent.session"
#: livekit-agents 1.4's host: the client-events handler's request topic (a text stream).
CLIENT_REQUEST_TOPIC = "lk.agent.request"
#: The topic the scope's host owns on this livekit (1.3 has no host: none is ever registered).
HOST_TOPIC = CLIENT_REQUEST_TOPIC if CAPABILITIES.client_events else SESSION_HOST_TOPIC
PRE_CONNECT_TOPIC = "lk.agent.pre-connect-audio-buffer"
CHAT_TOPIC = "lk.chat"
#: The topics of the Room's text-stream handler table (the others are byte streams).
TEXT_TOPICS = frozenset({CHAT_TOPIC, CLIENT_REQUEST_TOPIC})
#: What `denied_topics()` names as the owner of a RoomIO topic a secondary asked for while no
#: primary holds it: the topic is kept for the primary.
PRIMARY_ONLY = "the primary (RoomIO topics are never a secondary's)"


@attrs.frozen
class TopicPlan:
    """The RoomIO options a session starts with, and what it was denied."""

    #: The caller's options (None: livekit's defaults) unless a topic was denied; then a copy
    #: with that topic switched off.
    options: roomio.Options | None
    denied: dict[str, str]  # topic -> owner


def _wanted(options: roomio.Options | None) -> tuple[str, ...]:
    """The RoomIO topics a session started with these options (None: livekit's defaults)
    registers."""
    wanted = []
    if roomio.wants_pre_connect(options):
        wanted.append(PRE_CONNECT_TOPIC)
    if roomio.wants_chat(options):
        wanted.append(CHAT_TOPIC)
    return tuple(wanted)


#: What livekit's default options (`room_options` not given) register.
_DEFAULT_WANTED = _wanted(None)


class RoomTopics:
    """One per Room (`RoomTopics.of(room)`), shared by every coordinator using that Room."""

    def __init__(self, room: rtc.Room) -> None:
        self.room = room
        self._byte_handlers, self._text_handlers = agents.stream_handler_tables(room)
        #: topic -> session key, for the topics sessions of this library own
        self.owners: dict[str, str] = {}

    @classmethod
    def of(cls, room: rtc.Room) -> RoomTopics:
        topics: RoomTopics | None = agents.attached(room, "topics")
        if topics is None:
            topics = cls(room)
            agents.attach(room, "topics", topics)
        return topics

    # ------------------------------------------------------------------ reading the real table

    def registered(self, topic: str) -> bool:
        """Whether the Room has a handler for `topic` now, whoever registered it."""
        return topic in (self._text_handlers if topic in TEXT_TOPICS else self._byte_handlers)

    def owner(self, topic: str) -> str | None:
        return self.owners.get(topic)

    # ------------------------------------------------------------------ RoomIO's topics

    def plan(self, key: str, options: roomio.Options | None, *, primary: bool = True) -> TopicPlan:
        """Reserve the free RoomIO topics for `key`; switch the taken ones off in its options.
        Only a primary takes them: a secondary (a listen-only transcriber) is always denied them,
        so a transcriber that starts between two primaries cannot keep them from the next one."""
        denied: dict[str, str] = {}
        for topic in _DEFAULT_WANTED if options is None else _wanted(options):
            owner = self.owners.get(topic)
            if owner is None and self.registered(topic):
                owner = "a handler registered outside this library"
            if owner is None and not primary:
                owner = PRIMARY_ONLY
            if owner is None or owner == key:
                self.owners[topic] = key
            else:
                denied[topic] = owner
        if not denied:  # livekit gets what it would get without us (nothing to copy or build)
            return TopicPlan(options, denied)
        opts = roomio.without(
            options, pre_connect=PRE_CONNECT_TOPIC in denied, chat=CHAT_TOPIC in denied
        )
        return TopicPlan(opts, denied)

    def release(self, key: str) -> None:
        """Forget `key`'s RoomIO topics; remove any handler it still owns in the room."""
        for topic in (PRE_CONNECT_TOPIC, CHAT_TOPIC):
            if self.owners.get(topic) == key:
                del self.owners[topic]
                self._unregister(topic)

    # ------------------------------------------------------------------ the host topic

    def host_acquired(self, key: str) -> None:
        """The session's start (or promotion) registered `lk.agent.session`: record it."""
        if not self.registered(HOST_TOPIC):
            raise StartFailedError(
                f"session {key!r} should host {HOST_TOPIC!r} but the room has no handler for it "
                "after its start; was session_host overridden?",
                session=key,
            )
        holder = self.owners.get(HOST_TOPIC)
        if holder not in (None, key):
            raise StartFailedError(
                f"{HOST_TOPIC!r} is owned by session {holder!r}; {key!r} cannot host.",
                session=key,
            )
        self.owners[HOST_TOPIC] = key

    def host_free(self, key: str) -> None:
        """Before hosting: nobody may hold the topic (not even outside this library)."""
        if self.registered(HOST_TOPIC):
            holder = self.owners.get(HOST_TOPIC, "a handler registered outside this library")
            raise StartFailedError(
                f"session {key!r} cannot host: {HOST_TOPIC!r} is held by {holder}.", session=key
            )

    def host_released(self, key: str) -> None:
        """After the host closed: make sure the topic is gone if `key` owned it."""
        if self.owners.get(HOST_TOPIC) == key:
            del self.owners[HOST_TOPIC]
            self._unregister(HOST_TOPIC)

    def _unregister(self, topic: str) -> None:
        if not self.registered(topic):
            return
        if topic in TEXT_TOPICS:
            self.room.unregister_text_stream_handler(topic)
        else:
            self.room.unregister_byte_stream_handler(topic)
