"""RoomIO's options on every supported livekit-agents, read and changed in one place.

livekit-agents 1.3 and later take one `RoomOptions` (`AgentSession.start(room_options=...)`).
1.0 to 1.2 have no `RoomOptions`: `start()` takes a `RoomInputOptions` and a
`RoomOutputOptions` (`room_input_options=`, `room_output_options=`), and the RoomIO topics live
on the input side (`pre_connect_audio`, `text_enabled`). There, the coordinator's
`room_options=` takes livekit's `RoomInputOptions` (the input side alone) or a
`LegacyRoomOptions` (both sides); `CAPABILITIES.room_options` says which world this is.

The rest of the library never looks inside the options: it asks here which RoomIO topics they
register, for a copy with a topic switched off, for a transcriber's listen-only options, for the
participant they follow, and for the keywords of livekit's `start()`.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import TYPE_CHECKING, Any, TypeAlias

import attrs
from livekit.agents.utils import is_given
from livekit.agents.voice import room_io
from livekit.agents.voice.room_io import RoomInputOptions, RoomOutputOptions

from .capabilities import CAPABILITIES

if TYPE_CHECKING:  # livekit-agents 1.3+ only: used at run time behind CAPABILITIES.room_options
    from livekit.agents.voice.room_io import RoomOptions


@attrs.frozen
class LegacyRoomOptions:
    """Both sides of RoomIO's options for livekit-agents 1.0 to 1.2, which have no
    `RoomOptions`: what `AgentSession.start` takes there as `room_input_options=` and
    `room_output_options=`.

    Pass it as `room_options=` to `SessionCoordinator.start` (or in a `ParticipantSession`);
    a livekit `RoomInputOptions` alone is taken too, with livekit's default output. The RoomIO
    topics (`pre_connect_audio`, `text_enabled`) are on the input side: a secondary gets a copy
    with them switched off. On livekit-agents 1.3 and later pass livekit's `RoomOptions`
    instead (this class is refused there, with a `TypeError` that says so)."""

    input: RoomInputOptions = attrs.field(
        factory=RoomInputOptions, validator=attrs.validators.instance_of(RoomInputOptions)
    )
    output: RoomOutputOptions = attrs.field(
        factory=RoomOutputOptions, validator=attrs.validators.instance_of(RoomOutputOptions)
    )


#: What `room_options=` may be on the installed livekit-agents.
Options: TypeAlias = "RoomOptions | RoomInputOptions | LegacyRoomOptions"

#: The classes `room_options=` takes on the installed livekit-agents (for isinstance checks).
OPTION_TYPES: tuple[type, ...] = (
    (room_io.RoomOptions,) if CAPABILITIES.room_options else (RoomInputOptions, LegacyRoomOptions)
)

#: How `TypeError` messages name them.
OPTION_NAMES = (
    "livekit RoomOptions"
    if CAPABILITIES.room_options
    else "livekit RoomInputOptions or session_fsm LegacyRoomOptions (livekit-agents before 1.3)"
)


def _legacy(options: Options | None) -> LegacyRoomOptions:
    if options is None:
        return LegacyRoomOptions()
    if isinstance(options, RoomInputOptions):
        return LegacyRoomOptions(input=options)
    assert isinstance(options, LegacyRoomOptions)
    return options


def _modern(options: Options | None) -> RoomOptions:
    if options is None:
        return room_io.RoomOptions()
    assert isinstance(options, room_io.RoomOptions)
    return options


# --------------------------------------------------------------------------- the RoomIO topics


def wants_pre_connect(options: Options | None) -> bool:
    """Whether a session started with these options registers the pre-connect audio handler."""
    if not CAPABILITIES.room_options:
        return bool(_legacy(options).input.pre_connect_audio)
    audio = _modern(options).get_audio_input_options()
    return audio is not None and bool(audio.pre_connect_audio)


def wants_chat(options: Options | None) -> bool:
    """Whether a session started with these options registers the `lk.chat` text handler."""
    if not CAPABILITIES.room_options:
        enabled = _legacy(options).input.text_enabled
        return not is_given(enabled) or bool(enabled)  # livekit's own test (RoomIO.start)
    return _modern(options).get_text_input_options() is not None


def without(options: Options | None, *, pre_connect: bool, chat: bool) -> Options:
    """A copy of `options` (None: livekit's defaults) with the pre-connect handler and/or the
    `lk.chat` handler switched off; the caller's object is never changed."""
    if not CAPABILITIES.room_options:
        legacy = _legacy(options)
        changes: dict[str, Any] = {}
        if pre_connect:
            changes["pre_connect_audio"] = False
        if chat:
            changes["text_enabled"] = False
        return attrs.evolve(legacy, input=dataclasses.replace(legacy.input, **changes))
    opts = copy.copy(_modern(options))
    if pre_connect:
        audio = opts.get_audio_input_options()
        assert audio is not None
        opts.audio_input = dataclasses.replace(audio, pre_connect_audio=False)
    if chat:
        opts.text_input = False
    return opts


# --------------------------------------------------------------------------- the participant


def listen_only(identity: str) -> Options:
    """A transcriber's RoomIO: it listens to `identity` and publishes nothing (no audio output),
    takes no text input and no pre-connect audio."""
    if not CAPABILITIES.room_options:
        return LegacyRoomOptions(
            input=RoomInputOptions(
                participant_identity=identity, text_enabled=False, pre_connect_audio=False
            ),
            output=RoomOutputOptions(audio_enabled=False),
        )
    from livekit.agents.voice.room_io import AudioInputOptions

    return room_io.RoomOptions(
        participant_identity=identity,
        audio_output=False,
        text_input=False,
        audio_input=AudioInputOptions(pre_connect_audio=False),
    )


def participant(options: Options) -> str | None:
    """The participant identity the options follow (None: not given, livekit picks one)."""
    found = (
        _legacy(options).input.participant_identity
        if not CAPABILITIES.room_options
        else (_modern(options).participant_identity)
    )
    return found if is_given(found) else None


def following(options: Options, identity: str) -> Options:
    """A copy of `options` that follows `identity`."""
    if not CAPABILITIES.room_options:
        legacy = _legacy(options)
        return attrs.evolve(
            legacy, input=dataclasses.replace(legacy.input, participant_identity=identity)
        )
    opts = copy.copy(_modern(options))
    opts.participant_identity = identity
    return opts


# --------------------------------------------------------------------------- livekit's start()


def start_kwargs(options: Options | None) -> dict[str, Any]:
    """`AgentSession.start`'s keywords for the options (none: livekit's defaults, as without
    the library)."""
    if options is None:
        return {}
    if not CAPABILITIES.room_options:
        legacy = _legacy(options)
        return {"room_input_options": legacy.input, "room_output_options": legacy.output}
    return {"room_options": options}
