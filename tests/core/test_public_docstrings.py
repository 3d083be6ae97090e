"""The public surface documents itself: every public function, class, method and property (the
names in `session_fsm.__all__`, `session_fsm.fsm.__all__`, `session_fsm.testing.__all__` and the
exporter protocol) has a docstring of its own, and every error code a `Raises:` section names
exists in `fsm/errors.py`."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest

import session_fsm
import session_fsm.fsm
import session_fsm.testing
from session_fsm import RecordingExporter
from session_fsm.fsm.errors import ERROR_CODES

SURFACE: tuple[ModuleType, ...] = (session_fsm, session_fsm.fsm, session_fsm.testing)

#: A `Raises:` section (Google style): its indented lines, up to the next unindented line.
RAISES = re.compile(r"^Raises:\n(?P<body>(?:[ \t]+.*\n?|\n)*)", re.M)
#: What a code looks like where one is written: a snake_case name in backticks.
NAME = re.compile(r"`([a-z][a-z0-9]*(?:_[a-z0-9]+)+)`")


def _own_members(cls: type) -> Iterator[tuple[str, Callable[..., Any]]]:
    """The public methods and properties `cls` and its bases of this library define (the class
    docstring documents `__init__`)."""
    seen: set[str] = set()
    for klass in cls.__mro__:
        if not klass.__module__.startswith("session_fsm"):
            continue
        for name, value in vars(klass).items():
            if name.startswith("_") or name in seen:
                continue
            seen.add(name)
            if isinstance(value, staticmethod | classmethod):
                value = value.__func__
            if isinstance(value, property) and value.fget is not None:
                yield name, value.fget
            elif inspect.isfunction(value):
                yield name, value


def public_surface() -> list[tuple[str, Any, type | None]]:
    """(qualified name, callable or class, the class a method belongs to)."""
    found: list[tuple[str, Any, type | None]] = []
    seen: set[int] = set()
    exported = [(m, name) for m in SURFACE for name in m.__all__]
    exported.append((session_fsm, "RecordingExporter"))
    for module, name in exported:
        value = getattr(module, name)
        if id(value) in seen or inspect.ismodule(value) or not callable(value):
            continue
        seen.add(id(value))
        where = f"{module.__name__}.{name}"
        found.append((where, value, None))
        if inspect.isclass(value):
            found += [(f"{where}.{m}", fn, value) for m, fn in _own_members(value)]
    return found


SURFACE_ITEMS = public_surface()
IDS = [name for name, _, _ in SURFACE_ITEMS]


def _docstring(obj: Any) -> str:
    doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else obj.__doc__
    return inspect.cleandoc(doc) if isinstance(doc, str) else ""


def _parameters(obj: Any) -> set[str]:
    try:
        return set(inspect.signature(obj).parameters)
    except (TypeError, ValueError):
        return set()


def test_the_walk_sees_the_whole_surface() -> None:
    """The walk itself can fail: it finds the entry points users call."""
    for name in (
        "session_fsm.SessionCoordinator.start",
        "session_fsm.HttpPutExporter.export",
        "session_fsm.RecordingExporter.export",
        "session_fsm.fsm.Scope.handle",
        "session_fsm.testing.cancel_at",
        "session_fsm.testing.LifecycleMachine.close",
    ):
        assert name in IDS or name.replace("session_fsm.fsm.", "session_fsm.") in IDS, name
    assert len(IDS) > 80


@pytest.mark.parametrize(("name", "obj", "owner"), SURFACE_ITEMS, ids=IDS)
def test_every_public_callable_has_a_docstring(name: str, obj: Any, owner: type | None) -> None:
    assert _docstring(obj).strip(), f"{name} has no docstring: say what it does, its timeouts "
    "and the error codes it can raise"


@pytest.mark.parametrize(("name", "obj", "owner"), SURFACE_ITEMS, ids=IDS)
def test_every_error_code_a_docstring_names_exists(name: str, obj: Any, owner: type | None) -> None:
    """In a `Raises:` section, a snake_case name in backticks is an error code, unless it is an
    argument of the callable or of its class (a method's docstring may name the coordinator's
    `effect_timeout`), or an attribute of its class (`LifecycleMachine.session_count`)."""
    cls = obj if inspect.isclass(obj) else owner
    arguments = _parameters(obj) | (_parameters(cls) if cls is not None else set())
    if cls is not None:
        arguments |= {name for klass in cls.__mro__ for name in vars(klass)}
    for section in RAISES.finditer(_docstring(obj)):
        body = section.group("body")
        named = set(NAME.findall(body))
        unknown = sorted(named - set(ERROR_CODES) - arguments)
        assert not unknown, f"{name} names error codes that do not exist: {unknown}"
        if "SessionLifecycleError" in body:
            assert named & set(ERROR_CODES), f"{name} raises the family without naming a code"


def test_a_misspelt_code_is_caught() -> None:
    """The check above fails on a code that does not exist (and not on an argument's name)."""

    def refuses(timeout: float) -> None:
        """Refuse.

        Raises:
            SessionLifecycleError: `invalid_inputs` when `timeout` is negative.
        """

    named = set(NAME.findall(RAISES.search(_docstring(refuses)).group("body")))  # type: ignore[union-attr]
    assert named - set(ERROR_CODES) - _parameters(refuses) == {"invalid_inputs"}


def test_the_exporter_protocol_is_documented() -> None:
    assert _docstring(RecordingExporter) and _docstring(RecordingExporter.export)
