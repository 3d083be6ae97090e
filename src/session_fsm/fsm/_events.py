"""What can happen to a session or its scope: the core's inputs.

Events are small frozen values. The runtime makes them from caller requests (`Start`, `Drain`,
`Close`, `Promote`) and from what the adapters report back (`Started`, `StartFailed`, `Closed`,
`ForeignHold`, `ForeignRelease`). Every event refuses a field of the wrong type with the error
family's `invalid_input`, as `Start` says.
"""

from __future__ import annotations

import attrs

from ._states import Role
from .errors import InvalidInput

SessionKey = str


def _str(event: object, field: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str):
        raise InvalidInput(f"{type(event).__name__}.{field.name} must be a str, got {value!r}")


def _int(event: object, field: attrs.Attribute[int], value: object) -> None:
    if not isinstance(value, int):
        raise InvalidInput(f"{type(event).__name__}.{field.name} must be an int, got {value!r}")


@attrs.frozen(slots=True)
class Start:
    """Ask for `session` to start; the core resolves `role` against the scope.

    Raises:
        SessionLifecycleError: `invalid_input` when `session` is not a str, `role` not a `Role`,
            `record` or `host` not a bool or None, or `exporter` not a bool.
    """

    session: SessionKey
    role: Role = Role.AUTO
    #: None: the scope's default for a primary (the job's recording setting), off for a secondary.
    record: bool | None = None
    #: None: host when primary. True on a session that resolves to secondary is an error.
    host: bool | None = None
    #: Whether the caller gave recording exporters.
    exporter: bool = False

    def __attrs_post_init__(self) -> None:
        # one check for all five fields rather than a validator each: every start makes one
        if (
            not isinstance(self.session, str)
            or not isinstance(self.role, Role)
            or type(self.record) not in _FLAG
            or type(self.host) not in _FLAG
            or type(self.exporter) is not bool
        ):
            raise InvalidInput(
                "Start takes session: str, role: Role, record and host: bool or None, "
                f"exporter: bool; got {self!r}"
            )


_FLAG = (bool, type(None))


@attrs.frozen(slots=True)
class Started:
    """Every effect of the session's start (or promotion) has completed."""

    session: SessionKey = attrs.field(validator=_str)


@attrs.frozen(slots=True)
class StartFailed:
    """The start (or promotion) failed or was cancelled after `completed` of its effects."""

    session: SessionKey = attrs.field(validator=_str)
    completed: int = attrs.field(default=0, validator=_int)


@attrs.frozen(slots=True)
class Drain:
    """Ask the running session to finish what it is saying before it closes."""

    session: SessionKey = attrs.field(validator=_str)


@attrs.frozen(slots=True)
class Close:
    """Ask for the session to close (also fed when the session closed itself)."""

    session: SessionKey = attrs.field(validator=_str)


@attrs.frozen(slots=True)
class Closed:
    """Every effect of the session's close has run. A holder whose recording goes to exporters
    reports it twice: after the shared part of its close (the scope is then vacated), and after
    the export (`table.plan_export`)."""

    session: SessionKey = attrs.field(validator=_str)


@attrs.frozen(slots=True)
class Promote:
    """Ask for a running secondary to become the primary."""

    session: SessionKey = attrs.field(validator=_str)


@attrs.frozen(slots=True)
class ForeignHold:
    """A session the scope does not manage holds the job's primary designation."""

    holder: str = attrs.field(validator=_str)


@attrs.frozen(slots=True)
class ForeignRelease:
    """The foreign holder is gone (closed, or its designation was cleared)."""


SessionEvent = Start | Started | StartFailed | Drain | Close | Closed | Promote
ScopeEvent = ForeignHold | ForeignRelease
Event = SessionEvent | ScopeEvent

#: Event classes in the order the docs and generated suites list them.
SESSION_EVENTS: tuple[type[SessionEvent], ...] = (
    Start,
    Started,
    StartFailed,
    Drain,
    Close,
    Closed,
    Promote,
)
SCOPE_EVENTS: tuple[type[ScopeEvent], ...] = (ForeignHold, ForeignRelease)
#: The events a caller sends; each is the coordinator method of the same name (`start`...).
CALLER_EVENTS: tuple[type[SessionEvent], ...] = (Start, Drain, Close, Promote)
#: The events the runtime reports once a start's or a close's effects ran (or failed).
REPORT_EVENTS: tuple[type[SessionEvent], ...] = tuple(
    e for e in SESSION_EVENTS if e not in CALLER_EVENTS
)


def event_name(event_type: type[Event]) -> str:
    """The snake_case trigger name the docs, diagrams and errors use for an event class."""
    return _NAMES[event_type]


_NAMES: dict[type[Event], str] = {
    Start: "start",
    Started: "started",
    StartFailed: "start_failed",
    Drain: "drain",
    Close: "close",
    Closed: "closed",
    Promote: "promote",
    ForeignHold: "foreign_hold",
    ForeignRelease: "foreign_release",
}
