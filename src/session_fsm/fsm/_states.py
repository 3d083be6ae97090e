"""The states of the two coupled machines, and the roles a session can ask for."""

from __future__ import annotations

from enum import StrEnum


class SessionState(StrEnum):
    """Where one `AgentSession` is in its life, as the scope sees it. Declared in the order a
    life goes through them (the explorer's measure of progress); `closed` may start again."""

    #: Known to the scope, never started (or forgotten after a refused start).
    CREATED = "created"
    #: A start (or a promotion) is under way: its effects are running, or it waits for the
    #: releasing primary to let go of the scope.
    STARTING = "starting"
    #: Running and holding the scope's primary designation (and, unless `host=False`, the
    #: room's `lk.agent.session` handler and the recording).
    PRIMARY = "primary"
    #: Running beside the primary: full RoomIO, no host handler, no recording.
    SECONDARY = "secondary"
    #: Winding down: draining its activity, or closing (its close effects are running).
    DRAINING = "draining"
    #: Closed; holds nothing. May start again.
    CLOSED = "closed"


#: The states in which a session holds nothing: it may start, or be forgotten.
AT_REST: frozenset[SessionState] = frozenset({SessionState.CREATED, SessionState.CLOSED})


#: The states in which livekit runs the session (started, not yet closed by us).
RUNNING: frozenset[SessionState] = frozenset(SessionState) - AT_REST - {SessionState.STARTING}


class OwnershipState(StrEnum):
    """Who holds the scope's primary designation (one per job, or per Room without a job)."""

    #: Nobody: the next session that wants to be primary may claim it.
    VACANT = "vacant"
    #: A session has claimed it and is still starting.
    CLAIMED = "claimed"
    #: The holder is running as primary.
    HELD = "held"
    #: The holder is closing; starts that want the primary wait for the release.
    RELEASING = "releasing"


class Role(StrEnum):
    """What a start asks for; `auto` is resolved against the scope."""

    #: Primary when the scope is vacant, secondary when another session holds or claimed it,
    #: wait while the holder is releasing.
    AUTO = "auto"
    #: Primary or an error naming the holder; waits while the holder is releasing.
    PRIMARY = "primary"
    #: Never touches the primary designation.
    SECONDARY = "secondary"
