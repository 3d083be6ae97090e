"""RoomIO's options on every supported livekit-agents: livekit's `RoomOptions` from 1.3, before it
a `RoomInputOptions` or a `LegacyRoomOptions` (input and output), read and changed only by
`_adapters/roomio.py`."""

from __future__ import annotations

import pytest
from livekit import rtc
from livekit.agents.voice.room_io import RoomInputOptions, RoomOutputOptions

from session_fsm import LegacyRoomOptions, SessionCoordinator, SessionState, listen_only
from session_fsm._adapters import agents, roomio
from session_fsm._adapters.capabilities import CAPABILITIES
from session_fsm._adapters.room import CHAT_TOPIC, PRE_CONNECT_TOPIC, PRIMARY_ONLY

from .conftest import HOSTED, agent, new_session

before_1_3 = pytest.mark.skipif(
    CAPABILITIES.room_options, reason="livekit-agents here has room_options (RoomOptions)"
)


@before_1_3
async def test_the_input_side_says_which_topics_a_session_takes(
    coordinator: SessionCoordinator, offline_room: rtc.Room
) -> None:
    primary, other = new_session(), new_session()
    no_chat = LegacyRoomOptions(
        input=RoomInputOptions(text_enabled=False), output=RoomOutputOptions(audio_enabled=False)
    )
    state = await coordinator.start(primary, agent(), room_options=no_chat, name="p")
    assert state is SessionState.PRIMARY
    assert agents.byte_stream_topics(offline_room) == [PRE_CONNECT_TOPIC, *HOSTED]
    assert agents.text_stream_topics(offline_room) == []
    # a bare RoomInputOptions is the input side alone; a secondary takes no RoomIO topic
    state = await coordinator.start(other, agent(), room_options=RoomInputOptions(), name="o")
    assert state is SessionState.SECONDARY
    assert coordinator.denied_topics(other) == {PRE_CONNECT_TOPIC: "p", CHAT_TOPIC: PRIMARY_ONLY}
    assert agents.text_stream_topics(offline_room) == []
    assert no_chat.input.pre_connect_audio  # the caller's options are never changed
    await coordinator.aclose()
    assert agents.byte_stream_topics(offline_room) == []


@before_1_3
def test_listen_only_is_both_sides_and_follows_the_participant() -> None:
    options = listen_only("alice")
    assert isinstance(options, LegacyRoomOptions)
    assert roomio.participant(options) == "alice"
    assert not roomio.wants_pre_connect(options) and not roomio.wants_chat(options)
    assert options.output.audio_enabled is False
    assert roomio.start_kwargs(options) == {
        "room_input_options": options.input,
        "room_output_options": options.output,
    }
    followed = roomio.following(RoomInputOptions(), "bob")
    assert roomio.participant(followed) == "bob"


async def test_options_of_another_livekit_are_refused_by_type(
    coordinator: SessionCoordinator,
) -> None:
    """`LegacyRoomOptions` on 1.3+ (or anything else that is not this livekit's options) is a
    TypeError naming what is taken here; nothing starts."""
    wrong: object = LegacyRoomOptions() if CAPABILITIES.room_options else object()
    with pytest.raises(TypeError, match=roomio.OPTION_NAMES.split(" (")[0]):
        await coordinator.start(new_session(), agent(), room_options=wrong)  # type: ignore[arg-type]
    assert coordinator.sessions() == {}
