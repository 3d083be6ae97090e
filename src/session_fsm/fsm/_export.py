"""The table as a JSON document, for runtimes that cannot import it (the TypeScript package).

The document carries everything the machine is made of, by name: the states, the events and
their fields, the rows (guards, plans and refusals named, flags set and cleared, ownership moves),
the ownership machine, the three special cases' data, the effects and what undoes each, and the
error codes with their message templates. Code that decides (a guard, a plan, a refusal) is named
here, not serialised: the other runtime has one small function per name, and its tests fail when
the document names one it lacks. The Python table stays the single source: `session-fsm
export-table PATH --check` (run by `make test`) fails when the committed document is stale.

The message templates are rendered from the refusals themselves, with placeholders in place of
the session and holder (`{session}`, `{holder}`; and `{who}`, `{ownership}`, `{waiter}` for the
holder's text), so a reworded message reaches the document without being written twice.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from . import _effects as fx
from . import errors
from ._events import SCOPE_EVENTS, SESSION_EVENTS, Promote, Start, event_name
from ._states import AT_REST, RUNNING, OwnershipState, Role, SessionState
from ._table import (
    CLOSE_PENDING_FIRES_IN,
    GRANT_MOVE,
    GRANT_PLANS,
    MOVES,
    SCOPE_EVENT_MOVES,
    TABLE,
    Flag,
    Refusal,
    Row,
    Table,
    flag_names,
    refuse_primary_conflict,
)

#: Bumped when the document's shape changes, so a runtime can refuse a document it cannot read.
FORMAT = 1

#: Every effect class, in the order `effects.Effect` lists them.
_EFFECTS: tuple[type[fx.Effect], ...] = typing.get_args(fx.Effect)


def _error_classes() -> list[type[errors.SessionLifecycleError]]:
    """Every error class, in the order `errors.ERROR_CODES` lists their codes."""
    by_code = {cls.code: cls for cls in errors.SessionLifecycleError.__subclasses__()}
    return [by_code[code] for code in errors.ERROR_CODES]


def _name(fn: Callable[..., object] | None) -> str | None:
    return None if fn is None else fn.__name__


def _row(row: Row) -> dict[str, Any]:
    return {
        "source": row.source.value,
        "event": event_name(row.event),
        "guard": _name(row.guard),
        "target": None if row.target is None else row.target.value,
        "refuse": _name(row.refuse),
        "role": None if row.role is None else row.role.value,
        "move": None if row.move is None else row.move.value,
        "plan": _name(row.plan),
        "sets": flag_names(row.sets),
        "clears": flag_names(row.clears),
    }


def _fields(cls: type) -> list[str]:
    return [f.name for f in attrs.fields(cls)]


# --------------------------------------------------------------------------- message templates


@attrs.define
class _Ownership:
    value: str


@attrs.define
class _ScopeStub:
    """Stands in for a `Scope` when a refusal renders its message: only what messages read."""

    holder: str | None = "@who@"
    foreign: bool = False
    ownership: _Ownership = attrs.Factory(lambda: _Ownership("@ownership@"))
    waiter: str | None = None


@attrs.define
class _RecordStub:
    key: str = "@session@"


def _render(refusal: Refusal, scope: _ScopeStub, event: Start | Promote) -> tuple[str, str]:
    error = refusal(scope, _RecordStub(), event)  # type: ignore[arg-type]
    return error.code, error.message


def _held_by(scope: _ScopeStub) -> str:
    """The text naming the holder, read off `refuse_primary_conflict`'s message."""
    _, text = _render(refuse_primary_conflict, scope, Start("@session@", Role.PRIMARY))
    return text.split("held by ", 1)[1].rsplit(". Close", 1)[0]


def _holder_templates() -> dict[str, str]:
    managed = _held_by(_ScopeStub())
    waiting = _held_by(_ScopeStub(waiter="@waiter@"))
    return {
        "managed": _placeholders(managed),
        "foreign": _placeholders(_held_by(_ScopeStub(foreign=True))),
        "waiter": _placeholders(waiting[len(managed) :]),
    }


def _placeholders(text: str) -> str:
    for name in ("session", "who", "ownership", "waiter"):
        text = text.replace(f"@{name}@", "{" + name + "}")
    return text


def _refusal_templates(table: Table) -> dict[str, dict[str, dict[str, str]]]:
    """Per refusal, per variant: the error code and the message with `{session}` and `{holder}`.

    Variants: `asked` (the start asked for role=secondary) or `held` (it resolved to secondary
    because the scope is taken), crossed with what it asked for (`record`, `host`, `exporter`);
    `start` or `promote` for a primary conflict."""
    held = _held_by(_ScopeStub())
    events: dict[str, Start | Promote] = {
        "asked.record": Start("@session@", Role.SECONDARY, record=True),
        "asked.host": Start("@session@", Role.SECONDARY, host=True),
        "asked.exporter": Start("@session@", Role.SECONDARY, exporter=True),
        "held.record": Start("@session@", Role.AUTO, record=True),
        "held.host": Start("@session@", Role.AUTO, host=True),
        "held.exporter": Start("@session@", Role.AUTO, exporter=True),
        "start": Start("@session@", Role.PRIMARY),
        "promote": Promote("@session@"),
    }
    variants = {
        "refuse_secondary_features": [k for k in events if k.startswith(("asked", "held"))],
        "refuse_primary_conflict": ["start", "promote"],
    }
    out: dict[str, dict[str, dict[str, str]]] = {}
    for refusal in {row.refuse: None for row in table.rows if row.refuse is not None}:
        out[refusal.__name__] = {}
        for variant in variants.get(refusal.__name__, ["start"]):
            code, text = _render(refusal, _ScopeStub(), events[variant])
            text = _placeholders(text.replace(held, "{holder}"))
            out[refusal.__name__][variant] = {"code": code, "template": text}
    return out


# --------------------------------------------------------------------------- the document


def table_document(table: Table = TABLE) -> dict[str, Any]:
    """The table as plain data (see the module docstring)."""
    rows = table.rows
    guards = list(dict.fromkeys(row.guard.__name__ for row in rows))
    plans = list(
        dict.fromkeys(
            [row.plan.__name__ for row in rows if row.plan is not None]
            + [plan.__name__ for plan in GRANT_PLANS.values()]
        )
    )
    refusals = list(dict.fromkeys(row.refuse.__name__ for row in rows if row.refuse is not None))
    return {
        "format": FORMAT,
        "generated_by": "session-fsm export-table, from session_fsm/fsm/_table.py",
        "session_states": [s.value for s in SessionState],
        # what the runtime asks of a state: does it hold nothing, does livekit run the session
        "at_rest": [s.value for s in SessionState if s in AT_REST],
        "running": [s.value for s in SessionState if s in RUNNING],
        "ownership_states": [s.value for s in OwnershipState],
        "roles": [r.value for r in Role],
        "events": [
            {"name": event_name(cls), "class": cls.__name__, "fields": _fields(cls)}
            for cls in SESSION_EVENTS
        ],
        "scope_events": [
            {"name": event_name(cls), "class": cls.__name__, "fields": _fields(cls)}
            for cls in SCOPE_EVENTS
        ],
        "flags": {(f.name or "").lower(): int(f) for f in Flag if f},
        "moves": {m.value: [a.value, b.value] for m, (a, b) in MOVES.items()},
        "scope_event_moves": {name: move.value for name, move in SCOPE_EVENT_MOVES.items()},
        "special_cases": {
            "grant": {
                "move": GRANT_MOVE.value,
                "plans": {
                    ("promotion" if promotion else "start"): plan.__name__
                    for promotion, plan in GRANT_PLANS.items()
                },
            },
            "close_pending_fires_in": sorted(s.value for s in CLOSE_PENDING_FIRES_IN),
        },
        "guards": guards,
        "plans": plans,
        "refusals": refusals,
        "rows": [_row(row) for row in rows],
        "effects": [{"name": cls.__name__, "fields": _fields(cls)} for cls in _EFFECTS],
        "compensation": {a.__name__: b.__name__ for a, b in fx.COMPENSATION.items()},
        "signals": sorted(cls.__name__ for cls in fx.SIGNALS),
        "shared": sorted(cls.__name__ for cls in fx.SHARED),
        "errors": [{"code": cls.code, "class": cls.__name__} for cls in _error_classes()],
        "messages": {
            "holder": _holder_templates(),
            "refusals": _refusal_templates(table),
        },
    }


def render(table: Table = TABLE) -> str:
    return json.dumps(table_document(table), indent=2) + "\n"


def write(path: Path, *, check: bool = False) -> bool:
    """Write (or, with `check`, compare) the document at `path`; True when it was stale."""
    want = render()
    stale = not path.exists() or path.read_text() != want
    if stale and not check:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(want)
    return stale
